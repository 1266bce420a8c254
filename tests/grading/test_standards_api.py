"""grading/standards/: published and superseded standards, in the request language and in both."""
import pytest
from django.core.management import call_command

from grading.models import Criterion, GradeLevel
from grading.services import publish_standard
from tests.grading.factories import DraftStandardFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/grading/standards/"


def new_phone_version():
    draft = DraftStandardFactory(code="phone", version=2, name_en="Used phone grading, 2nd edition")
    GradeLevel.objects.create(standard=draft, code="A", rank=0, label_zh="优", label_en="Excellent")
    Criterion.objects.create(standard=draft, key="works", question_zh="能用吗？", question_en="Does it work?",
                             answer_type="boolean", rules={})
    return draft


@pytest.mark.parametrize("persona", ["anonymous", "user", "staff"])
def test_anyone_lists_the_published_standards(client_for, user, staff, persona, django_assert_max_num_queries):
    client = client_for({"anonymous": None, "user": user, "staff": staff}[persona])
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 8
    assert [s["label"] for s in body["results"]] == [
        "apparel/1", "appliance/1", "auto-part/1", "book/1", "computer/1", "furniture/1", "general/1", "phone/1",
    ]


def test_a_standard_carries_its_scale_and_criteria_in_both_languages(api):
    phone = next(s for s in api.get(URL).json()["results"] if s["code"] == "phone")
    assert (phone["name"], phone["name_zh"], phone["name_en"]) == ("Used phone grading", "二手手机品质分级", "Used phone grading")
    assert "GB/T 21667-2024" in phone["source"] and phone["status"] == "published"
    assert [level["code"] for level in phone["levels"]] == ["P", "A", "B", "C", "D", "X"]
    assert phone["levels"][-1]["sellable"] is False
    criteria = {c["key"]: c for c in phone["criteria"]}
    battery = criteria["battery_health"]
    assert (battery["answer_type"], battery["axis"], battery["unit"], battery["min"], battery["max"]) == (
        "number", "functional", "%", 0, 100)
    assert battery["rules"]["bands"][0] == {"below": 80, "cap": "C"}
    screen = criteria["screen"]
    assert screen["choices"][2] == {"value": "cracked", "label": "Cracked or broken", "label_zh": "有裂痕或破碎",
                                    "label_en": "Cracked or broken", "cap": "D"}
    assert criteria["imei_blacklisted"]["inspection_only"] is True


def test_chinese_is_served_when_asked(api):
    api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    book = api.get(URL, {"code": "book"}).json()["results"][0]
    assert book["name"] == "旧书品相分级"
    assert book["levels"][0]["label"] == "全新（十成）"
    assert book["criteria"][0]["question"] == "是否缺页？"


def test_drafts_are_never_shown_and_superseded_versions_are_filterable(api):
    draft = new_phone_version()
    assert api.get(URL, {"code": "phone"}).json()["count"] == 1
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    assert api.get(f"{URL}phone/2").status_code == 404

    publish_standard(draft)
    phones = api.get(URL, {"code": "phone"}).json()["results"]
    assert [(s["label"], s["status"], s["superseded_by"]) for s in phones] == [
        ("phone/2", "published", None), ("phone/1", "superseded", "phone/2"),
    ]
    assert [s["label"] for s in api.get(URL, {"status": "superseded"}).json()["results"]] == ["phone/1"]
    assert api.get(URL, {"status": "published"}).json()["count"] == 8
    assert api.get(URL, {"status": "draft"}).status_code == 400


def test_lookup_by_id_and_by_code_and_version(api):
    by_code = api.get(f"{URL}auto-part/1")
    assert by_code.status_code == 200
    assert by_code.json()["levels"][1]["code"] == "REMAN"
    assert api.get(f"{URL}{by_code.json()['id']}/").json()["label"] == "auto-part/1"
    assert api.get(f"{URL}auto-part/9").status_code == 404


def test_standards_are_read_only(client_for, staff):
    client = client_for(staff)
    assert client.post(URL, {"code": "x"}, format="json").status_code == 405
    phone = client.get(f"{URL}phone/1").json()
    assert client.delete(f"{URL}{phone['id']}/").status_code == 405


def test_the_schema_of_the_grading_api_generates_without_warnings(tmp_path):
    # Only our routes: other apps' warnings are theirs to fix.
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "tests.grading.urls",
                 "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ("/api/v1/grading/standards/", "/api/v1/listings/{listing_id}/assessments/",
                 "/api/v1/listings/{listing_id}/grade-report", "/api/v1/grading/standards/{code}/{version}"):
        assert f"{path}:" in schema
    assert "AssessmentSourceEnum" in schema
