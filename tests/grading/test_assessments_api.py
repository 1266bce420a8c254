"""listings/{id}/assessments/: who sees and who grades, what is stored, what the listing shows."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from grading import services
from grading.models import Assessment, AssessmentSource
from listings.models import ListingState
from listings.signals import listing_changed
from notifications.models import Notification
from tests.factories import member_of
from tests.grading.factories import PHONE_INSPECTION_PERFECT, PHONE_PERFECT, listing_for
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "other_user", "seller", "shop_member", "inspector", "unverified_inspector",
            "merchant_member", "staff"]


@pytest.fixture
def people(user, other_user, shop_member, inspector, unverified_inspector, merchant_member, staff):
    return {"anonymous": None, "other_user": other_user, "seller": user, "shop_member": shop_member,
            "inspector": inspector, "unverified_inspector": unverified_inspector,
            "merchant_member": merchant_member, "staff": staff}


@pytest.fixture
def shop_listing(user, shop):
    """A phone sold by `user` for the shop: its members are on the selling side."""
    return listing_for("phone", seller=user, organization=shop, state=ListingState.ACTIVE)


def url(listing):
    return f"/api/v1/listings/{listing.pk}/assessments/"


def self_body(**answers):
    return {"answers": {**PHONE_PERFECT, **answers}}


def inspection_body(agency, **answers):
    return {"source": "inspection", "agency": agency.pk, "answers": {**PHONE_INSPECTION_PERFECT, **answers}}


class TestWhoSees:
    @pytest.mark.parametrize("persona", PERSONAS)
    def test_everyone_sees_the_assessments_of_a_public_listing(self, client_for, people, shop_listing, persona):
        services.self_assess(shop_listing, actor=people["seller"], answers=PHONE_PERFECT)
        response = client_for(people[persona]).get(url(shop_listing))
        assert response.status_code == 200
        assert [a["grade"] for a in response.json()["results"]] == ["P"]

    @pytest.mark.parametrize(("persona", "status"), [
        ("anonymous", 404), ("other_user", 404), ("seller", 200), ("shop_member", 200), ("inspector", 404),
        ("unverified_inspector", 404), ("merchant_member", 404), ("staff", 200),
    ])
    def test_only_the_selling_side_and_staff_see_a_draft(self, client_for, people, user, shop, persona, status):
        draft = listing_for("phone", seller=user, organization=shop)
        services.self_assess(draft, actor=user, answers=PHONE_PERFECT)
        response = client_for(people[persona]).get(url(draft))
        assert response.status_code == status
        if status == 404:
            assert_error_shape(response, 404, "not_found")

    def test_the_agency_that_inspected_a_draft_sees_its_assessments(self, client_for, user, agency, inspector):
        draft = listing_for("phone", seller=user)
        services.inspect(draft, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        colleague = member_of(agency, Role.MEMBER)
        assert client_for(colleague).get(url(draft)).status_code == 200

    def test_unknown_listing_is_404(self, api):
        assert_error_shape(api.get("/api/v1/listings/999999/assessments/"), 404, "not_found")

    def test_list_has_a_query_budget(self, client_for, user, agency, inspector, django_assert_max_num_queries):
        listing = listing_for("phone", seller=user, state=ListingState.ACTIVE)
        for battery in (95, 88, 82, 70):
            services.self_assess(listing, actor=user, answers={**PHONE_PERFECT, "battery_health": battery})
        services.inspect(listing, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        client = client_for(user)
        with django_assert_max_num_queries(6):
            response = client.get(url(listing))
        assert response.json()["count"] == 5
        assert [a["is_current"] for a in response.json()["results"]] == [True, True, False, False, False]


class TestSelfAssessment:
    @pytest.mark.parametrize(("persona", "status"), [
        ("anonymous", 401), ("other_user", 403), ("seller", 201), ("shop_member", 201), ("inspector", 403),
        ("unverified_inspector", 403), ("merchant_member", 403), ("staff", 403),
    ])
    def test_only_the_selling_side_declares(self, client_for, people, shop_listing, persona, status):
        response = client_for(people[persona]).post(url(shop_listing), self_body(battery_health=82), format="json")
        if status != 201:
            assert_error_shape(response, status)
            assert not Assessment.objects.exists()
            return
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["source"], body["grade"], body["standard"], body["sellable"]) == ("self_declared", "B", "phone/1", True)
        assert body["caps"] == {"battery_health": "B"}
        assert (body["cosmetic_grade"], body["functional_grade"]) == ("P", "B")
        shop_listing.refresh_from_db()
        assert (shop_listing.grade_code, shop_listing.grade_source, shop_listing.grade_mismatch) == ("B", "self_declared", False)

    def test_another_users_draft_is_hidden_not_forbidden(self, client_for, other_user, user):
        draft = listing_for("phone", seller=user)
        assert_error_shape(client_for(other_user).post(url(draft), self_body(), format="json"), 404)

    @pytest.mark.parametrize("field", ["grade", "caps", "cosmetic_grade"])
    def test_a_grade_sent_by_the_client_is_refused(self, client_for, user, shop_listing, field):
        body = {**self_body(screen="cracked"), field: "P"}
        response = client_for(user).post(url(shop_listing), body, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        assert field in body["errors"]
        assert not Assessment.objects.exists()

    @pytest.mark.parametrize(("answers", "field"), [
        ({"battery_health": 120}, "battery_health"),
        ({"screen": "shattered"}, "screen"),
        ({"colour": "red"}, "colour"),
        ({"imei_blacklisted": False}, "imei_blacklisted"),
    ])
    def test_bad_answers_are_400_naming_the_criterion(self, client_for, user, shop_listing, answers, field):
        response = client_for(user).post(url(shop_listing), self_body(**answers), format="json")
        assert field in assert_error_shape(response, 400)["errors"]

    def test_answers_must_be_an_object(self, client_for, user, shop_listing):
        response = client_for(user).post(url(shop_listing), {"answers": ["screen"]}, format="json")
        assert "answers" in assert_error_shape(response, 400, "validation_error")["errors"]

    def test_an_agency_is_not_named_in_a_self_assessment(self, client_for, user, shop_listing, agency):
        response = client_for(user).post(url(shop_listing), {**self_body(), "agency": agency.pk}, format="json")
        assert "agency" in assert_error_shape(response, 400)["errors"]

    @pytest.mark.parametrize("state", [ListingState.DRAFT, ListingState.ACTIVE, ListingState.RESERVED,
                                       ListingState.SUSPENDED])
    def test_a_listing_that_can_still_be_sold_can_be_graded(self, client_for, user, state):
        listing = listing_for("phone", seller=user, state=state)
        assert client_for(user).post(url(listing), self_body(), format="json").status_code == 201

    @pytest.mark.parametrize("state", [ListingState.SOLD, ListingState.WITHDRAWN, ListingState.EXPIRED])
    def test_a_finished_listing_cannot_be_graded(self, client_for, user, state):
        listing = listing_for("phone", seller=user, state=state)
        assert_error_shape(client_for(user).post(url(listing), self_body(), format="json"), 409, "listing_not_gradable")

    def test_a_new_self_assessment_replaces_the_current_one(self, user, shop_listing):
        first = services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        second = services.self_assess(shop_listing, actor=user, answers={**PHONE_PERFECT, "screen": "scratched"})
        first.refresh_from_db()
        assert (first.is_current, second.is_current) == (False, True)
        assert shop_listing.grade_code == "C"  # the caller's instance is updated too
        shop_listing.refresh_from_db()
        assert shop_listing.grade_code == "C"

    def test_the_listing_change_is_signalled(self, user, shop_listing):
        received = []

        def receiver(sender, listing, fields, **kwargs):
            received.append((listing.pk, fields))

        listing_changed.connect(receiver)
        try:
            services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
            services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)  # same grade: nothing changed
        finally:
            listing_changed.disconnect(receiver)
        assert received == [(shop_listing.pk, {"grade_code", "grade_source"})]

    def test_a_category_without_standard_is_a_clear_400(self, client_for, user):
        listing = listing_for("phone", seller=user)
        listing.category.grading_standard_code = "nope"
        listing.category.save()
        assert_error_shape(client_for(user).post(url(listing), self_body(), format="json"), 400, "no_grading_standard")


class TestInspection:
    @pytest.mark.parametrize(("persona", "status", "type_"), [
        ("anonymous", 401, "not_authenticated"),
        ("other_user", 403, "permission_denied"),
        ("seller", 403, "permission_denied"),
        ("shop_member", 403, "permission_denied"),
        ("inspector", 201, None),
        ("staff", 403, "permission_denied"),
    ])
    def test_only_a_member_of_the_verified_agency_inspects(self, client_for, people, shop_listing, agency, persona,
                                                         status, type_):
        response = client_for(people[persona]).post(url(shop_listing), inspection_body(agency), format="json")
        if status == 201:
            assert response.status_code == 201, response.content
            body = response.json()
            assert (body["source"], body["grade"], body["inspection_agency"]) == (
                "inspection", "P", {"id": agency.pk, "name": agency.name})
        else:
            assert_error_shape(response, status, type_)
            assert not Assessment.objects.exists()

    def test_an_unverified_agency_may_not_inspect(self, client_for, unverified_inspector, unverified_agency, shop_listing):
        response = client_for(unverified_inspector).post(url(shop_listing), inspection_body(unverified_agency), format="json")
        assert_error_shape(response, 403, "organization_not_verified")

    def test_an_organization_that_is_not_an_agency_may_not_inspect(self, client_for, merchant_member, shop_listing):
        merchant = merchant_member.memberships.get().organization
        response = client_for(merchant_member).post(url(shop_listing), inspection_body(merchant), format="json")
        assert_error_shape(response, 403, "wrong_organization_kind")

    def test_the_seller_cannot_inspect_their_own_listing_even_for_an_agency(self, client_for, user, agency, shop_listing):
        member_of(agency, Role.MEMBER, email="seller-inspector@example.com")
        agency.memberships.create(user=user, role=Role.MEMBER)
        response = client_for(user).post(url(shop_listing), inspection_body(agency), format="json")
        assert_error_shape(response, 403, "conflict_of_interest")

    def test_a_member_of_the_selling_organization_cannot_inspect(self, client_for, shop_member, agency, shop_listing):
        agency.memberships.create(user=shop_member, role=Role.MEMBER)
        response = client_for(shop_member).post(url(shop_listing), inspection_body(agency), format="json")
        assert_error_shape(response, 403, "conflict_of_interest")

    def test_an_agency_inspects_a_draft_before_it_is_published(self, client_for, user, agency, inspector):
        draft = listing_for("phone", seller=user)
        assert client_for(inspector).post(url(draft), inspection_body(agency), format="json").status_code == 201

    def test_a_hidden_draft_stays_hidden_from_non_inspectors(self, client_for, user, other_user, agency,
                                                             unverified_inspector, unverified_agency):
        draft = listing_for("phone", seller=user)
        assert_error_shape(client_for(other_user).post(url(draft), inspection_body(agency), format="json"), 404)
        response = client_for(unverified_inspector).post(url(draft), inspection_body(unverified_agency), format="json")
        assert_error_shape(response, 404)

    def test_inspection_needs_an_agency(self, client_for, inspector, shop_listing):
        response = client_for(inspector).post(url(shop_listing), {"source": "inspection", "answers": PHONE_INSPECTION_PERFECT},
                                              format="json")
        assert "agency" in assert_error_shape(response, 400, "validation_error")["errors"]

    def test_inspection_answers_the_inspection_only_criteria(self, client_for, inspector, agency, shop_listing):
        response = client_for(inspector).post(url(shop_listing), {**inspection_body(agency), "answers": PHONE_PERFECT},
                                              format="json")
        assert assert_error_shape(response, 400, "required")["errors"] == {"imei_blacklisted": ["This question must be answered."]}

    def test_the_inspected_grade_wins_and_a_mismatch_is_flagged_and_told(self, user, inspector, agency, shop_listing):
        services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        services.inspect(shop_listing, actor=inspector, agency=agency,
                         answers={**PHONE_INSPECTION_PERFECT, "screen": "scratched"})
        shop_listing.refresh_from_db()
        assert (shop_listing.grade_code, shop_listing.grade_source, shop_listing.grade_mismatch) == ("C", "inspection", True)
        notification = Notification.objects.get(recipient=user, kind="grade_mismatch")
        assert "P" in notification.body and "C" in notification.body and agency.name in notification.body

        # The seller corrects the declaration: both agree, the flag goes, the inspection still wins.
        services.self_assess(shop_listing, actor=user, answers={**PHONE_PERFECT, "screen": "scratched"})
        shop_listing.refresh_from_db()
        assert (shop_listing.grade_code, shop_listing.grade_source, shop_listing.grade_mismatch) == ("C", "inspection", False)
        assert Notification.objects.filter(kind="grade_mismatch").count() == 1

    def test_agreeing_grades_are_not_a_mismatch(self, user, inspector, agency, shop_listing):
        services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        services.inspect(shop_listing, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        shop_listing.refresh_from_db()
        assert (shop_listing.grade_code, shop_listing.grade_mismatch) == ("P", False)
        assert not Notification.objects.filter(kind="grade_mismatch").exists()

    def test_each_source_keeps_one_current_assessment(self, user, inspector, agency, shop_listing):
        services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        services.inspect(shop_listing, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        services.inspect(shop_listing, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        current = Assessment.objects.filter(listing=shop_listing, is_current=True)
        assert sorted(current.values_list("source", flat=True)) == [AssessmentSource.INSPECTION, AssessmentSource.SELF_DECLARED]


class TestPublishRule:
    def test_an_unsellable_effective_assessment_blocks_publishing_with_its_reasons(self, user, inspector, agency):
        from grading.selectors import publish_blockers
        from listings import eligibility, lifecycle
        from marketplace.errors import Conflict
        from tests.listings.factories import PhotoFactory

        assert publish_blockers in [rule.check for rule in eligibility.rules([eligibility.GRADING])]
        listing = listing_for("phone", seller=user)
        PhotoFactory(listing=listing)
        assert publish_blockers(listing) == []
        services.self_assess(listing, actor=user, answers={**PHONE_PERFECT, "account_lock": True})
        assert publish_blockers(listing) == ["The device is still locked to an account or MDM"]
        with pytest.raises(Conflict, match="locked to an account") as refused:
            lifecycle.publish(listing, actor=user)
        assert refused.value.errors == {"grade_unsellable": ["The device is still locked to an account or MDM"]}

        # The inspection wins: the agency found the lock removed.
        services.inspect(listing, actor=inspector, agency=agency, answers=PHONE_INSPECTION_PERFECT)
        assert publish_blockers(listing) == []
        assert lifecycle.publish(listing, actor=user).state == ListingState.ACTIVE


class TestAssessmentIsARecord:
    def test_an_assessment_cannot_be_edited(self, user, shop_listing):
        from marketplace.errors import Conflict

        assessment = services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        assessment.notes = "changed"
        with pytest.raises(Conflict):
            assessment.save()

    def test_old_assessments_keep_their_time(self, user, shop_listing):
        assessment = services.self_assess(shop_listing, actor=user, answers=PHONE_PERFECT)
        assert timezone.now() - assessment.created_at < timedelta(minutes=1)


def test_errors_speak_the_request_language(client_for, user):
    listing = listing_for("phone", seller=user)
    client = client_for(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    answers = {k: v for k, v in PHONE_PERFECT.items() if k != "screen"}
    response = client.post(url(listing), {"answers": answers}, format="json")
    assert assert_error_shape(response, 400)["errors"] == {"screen": ["此项必须作答。"]}
