"""Evidence photos and the grade report a buyer reads."""
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from grading import services
from grading.models import Assessment, AssessmentEvidence
from listings.models import ListingState
from tests.factories import member_of
from tests.grading.factories import BOOK_AS_NEW, PHONE_INSPECTION_PERFECT, PHONE_PERFECT, listing_for
from tests.helpers import assert_error_shape
from tests.listings.factories import upload

pytestmark = pytest.mark.django_db


def evidence_url(assessment):
    return f"/api/v1/listings/{assessment.listing_id}/assessments/{assessment.pk}/evidence"


def report_url(listing):
    return f"/api/v1/listings/{listing.pk}/grade-report"


def post_photo(client, assessment, **fields):
    data = {"image": upload(), "criterion_key": "screen", "caption": "裂痕特写", **fields}
    return client.post(evidence_url(assessment), data, format="multipart")


@pytest.fixture
def listing(user, shop):
    return listing_for("phone", seller=user, organization=shop, state=ListingState.ACTIVE)


@pytest.fixture
def declared(user, listing):
    return services.self_assess(listing, actor=user, answers={**PHONE_PERFECT, "screen": "scratched"})


@pytest.fixture
def inspected(inspector, agency, listing):
    return services.inspect(listing, actor=inspector, agency=agency,
                            answers={**PHONE_INSPECTION_PERFECT, "screen": "cracked", "battery_health": 83},
                            notes="屏幕右上角有裂痕")


class TestEvidence:
    def test_the_assessor_adds_a_cleaned_photo(self, client_for, user, declared):
        response = post_photo(client_for(user), declared)
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["criterion_key"], body["caption"]) == ("screen", "裂痕特写")
        evidence = AssessmentEvidence.objects.get()
        # Through the shared pipeline: re-encoded, with a thumbnail.
        with Image.open(evidence.image.path) as stored:
            assert not stored.getexif()
        with Image.open(evidence.thumbnail.path) as thumb:
            assert max(thumb.size) <= 320

    @pytest.mark.parametrize(("persona", "status"), [
        ("anonymous", 401), ("other_user", 403), ("shop_member", 403), ("inspector", 403),
        ("unverified_inspector", 403), ("merchant_member", 403), ("staff", 403),
    ])
    def test_nobody_else_adds_evidence(self, client_for, declared, persona, status, other_user, shop_member, inspector,
                                       unverified_inspector, merchant_member, staff):
        people = {"anonymous": None, "other_user": other_user, "shop_member": shop_member, "inspector": inspector,
                  "unverified_inspector": unverified_inspector, "merchant_member": merchant_member, "staff": staff}
        assert_error_shape(post_photo(client_for(people[persona]), declared), status)
        assert not AssessmentEvidence.objects.exists()

    def test_the_seller_cannot_add_evidence_to_the_inspection(self, client_for, user, inspected):
        assert_error_shape(post_photo(client_for(user), inspected), 403, "not_assessor")

    def test_the_inspector_adds_evidence_to_an_inspection_of_a_draft(self, client_for, user, agency, inspector):
        draft = listing_for("phone", seller=user)
        assessment = services.inspect(draft, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        assert post_photo(client_for(inspector), assessment).status_code == 201
        other_inspector = member_of(agency, Role.MEMBER)
        assert_error_shape(post_photo(client_for(other_inspector), assessment), 403, "not_assessor")

    def test_not_after_24_hours(self, client_for, user, declared):
        later = timezone.now() + timedelta(hours=24, minutes=1)
        with mock.patch("grading.services.timezone.now", return_value=later):
            assert_error_shape(post_photo(client_for(user), declared), 409, "evidence_window_closed")

    def test_at_most_ten(self, client_for, user, declared):
        client = client_for(user)
        for seed in range(10):
            assert post_photo(client, declared, image=upload(seed=seed, size=(64, 48))).status_code == 201
        assert_error_shape(post_photo(client, declared), 409, "too_much_evidence")
        assert declared.evidence.count() == 10

    def test_a_file_that_is_not_an_image_is_refused(self, client_for, user, declared):
        fake = SimpleUploadedFile("crack.jpg", b"not really a jpeg" * 10, content_type="image/jpeg")
        response = post_photo(client_for(user), declared, image=fake)
        assert_error_shape(response, 400)
        assert not AssessmentEvidence.objects.exists()

    def test_the_criterion_must_belong_to_the_standard(self, client_for, user, declared):
        response = post_photo(client_for(user), declared, criterion_key="colour")
        assert "criterion_key" in assert_error_shape(response, 400, "unknown_criterion")["errors"]

    def test_the_assessment_must_belong_to_the_listing(self, client_for, user, declared):
        other = listing_for("phone", seller=user, state=ListingState.ACTIVE)
        response = client_for(user).post(f"/api/v1/listings/{other.pk}/assessments/{declared.pk}/evidence",
                                         {"image": upload()}, format="multipart")
        assert_error_shape(response, 404)


class TestGradeReport:
    def test_the_report_shows_both_assessments_answers_caps_evidence_and_the_mismatch(
        self, client_for, user, inspector, agency, listing, declared, inspected
    ):
        assert post_photo(client_for(inspector), inspected).status_code == 201
        response = client_for(None).get(report_url(listing))
        assert response.status_code == 200
        report = response.json()
        assert report["standard"]["label"] == "phone/1"
        assert report["standard"]["name"] == "Used phone grading"
        assert "GB/T 21667-2024" in report["standard"]["source"]
        assert report["grade"]["code"] == "D" and report["grade"]["label"] == "Worn"
        assert report["grade_source"] == "inspection"
        assert report["mismatch"] is True
        assert report["declared"]["grade"]["code"] == "C"

        inspection = report["inspected"]
        assert inspection["inspection_agency"] == {"id": agency.pk, "name": agency.name}
        assert inspection["assessed_at"]
        assert inspection["notes"] == "屏幕右上角有裂痕"
        assert (inspection["cosmetic_grade"]["code"], inspection["functional_grade"]["code"]) == ("D", "B")
        criteria = {c["key"]: c for c in inspection["criteria"]}
        assert list(criteria)[0] == "data_wiped" and "imei_blacklisted" in criteria
        assert "imei_blacklisted" not in {c["key"] for c in report["declared"]["criteria"]}
        assert criteria["screen"]["question"] == "What condition is the screen in?"
        assert criteria["screen"]["answer_text"] == "Cracked or broken"
        assert criteria["screen"]["cap"]["code"] == "D"
        assert criteria["battery_health"]["answer_text"] == "83%"
        assert criteria["battery_health"]["cap"]["label"] == "Good"
        assert criteria["data_wiped"]["answer_text"] == "Yes" and criteria["data_wiped"]["cap"] is None
        [photo] = criteria["screen"]["evidence"]
        assert photo["url"].startswith("http://testserver/") and photo["caption"] == "裂痕特写"
        assert photo["url"].endswith(AssessmentEvidence.objects.get().image.url)

    def test_the_report_is_in_the_request_language(self, api, user, listing, declared):
        api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
        report = api.get(report_url(listing)).json()
        assert report["standard"]["name"] == "二手手机品质分级"
        assert report["grade"]["label"] == "一般"
        screen = next(c for c in report["declared"]["criteria"] if c["key"] == "screen")
        assert (screen["question"], screen["answer_text"]) == ("屏幕状况如何？", "有划痕")

    def test_a_book_report_flags_an_ex_library_copy(self, api, user):
        book = listing_for("book", seller=user, state=ListingState.ACTIVE)
        services.self_assess(book, actor=user, answers={**BOOK_AS_NEW, "ex_library": True, "dust_jacket": "not_issued"})
        report = api.get(report_url(book)).json()
        assert report["grade"]["code"] == "G"
        assert report["flags"] == [{"code": "ex_library", "label": "Ex-library copy"}]
        assert report["declared"]["functional_grade"] is None
        assert report["inspected"] is None and report["mismatch"] is False

    def test_an_unsellable_assessment_lists_its_blockers(self, client_for, user, listing):
        services.self_assess(listing, actor=user, answers={**PHONE_PERFECT, "data_wiped": False})
        # The unsellable listing was taken off sale (suspended for grading): the seller still reads the report.
        report = client_for(user).get(report_url(listing)).json()
        assert report["listing"]["state"] == "suspended"
        assert report["declared"]["sellable"] is False
        assert report["declared"]["blockers"] == ["Personal data not wiped or the wipe not verified (GB 46864-2025)"]

    def test_a_listing_without_assessment_has_an_empty_report(self, api, listing):
        report = api.get(report_url(listing)).json()
        assert (report["grade"], report["standard"], report["declared"], report["inspected"]) == (None, None, None, None)

    @pytest.mark.parametrize(("persona", "status"), [
        ("anonymous", 404), ("other_user", 404), ("seller", 200), ("shop_member", 200), ("inspector", 404),
        ("unverified_inspector", 404), ("merchant_member", 404), ("staff", 200),
    ])
    def test_a_draft_report_is_for_the_selling_side_and_staff(
        self, client_for, persona, status, user, other_user, shop, shop_member, inspector, unverified_inspector,
        merchant_member, staff, agency,
    ):
        draft = listing_for("phone", seller=user, organization=shop)
        services.inspect(draft, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        people = {"anonymous": None, "other_user": other_user, "seller": user, "shop_member": shop_member,
                  "inspector": inspector, "unverified_inspector": unverified_inspector,
                  "merchant_member": merchant_member, "staff": staff}
        response = client_for(people[persona]).get(report_url(draft))
        assert response.status_code == status
        if status == 200:
            assert response.json()["grade"]["code"] == "P"

    @pytest.mark.parametrize("persona", ["anonymous", "other_user", "inspector", "staff"])
    def test_a_public_report_is_for_everyone(self, client_for, persona, listing, declared, other_user, inspector, staff):
        people = {"anonymous": None, "other_user": other_user, "inspector": inspector, "staff": staff}
        assert client_for(people[persona]).get(report_url(listing)).status_code == 200

    def test_the_report_has_a_query_budget(self, api, listing, declared, inspected, django_assert_max_num_queries):
        with django_assert_max_num_queries(8):
            assert api.get(report_url(listing)).status_code == 200

    def test_a_superseded_standard_still_reports_what_was_assessed(self, api, user, listing, declared):
        from grading.models import Criterion, GradeLevel
        from grading.services import publish_standard
        from tests.grading.factories import DraftStandardFactory

        draft = DraftStandardFactory(code="phone", version=2)
        GradeLevel.objects.create(standard=draft, code="OK", rank=0, label_zh="好", label_en="OK")
        Criterion.objects.create(standard=draft, key="works", question_zh="能用吗？", question_en="Works?",
                                 answer_type="boolean", rules={})
        publish_standard(draft)
        report = api.get(report_url(listing)).json()
        assert report["standard"]["label"] == "phone/1" and report["standard"]["status"] == "superseded"
        assert report["grade"]["code"] == "C"
        assert Assessment.objects.get().standard.version == 1
