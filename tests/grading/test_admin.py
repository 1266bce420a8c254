"""The admin: drafts are edited and published there; published standards and assessments are read-only."""
import pytest

from grading.models import GradingStandard, StandardStatus
from tests.grading.factories import DraftStandardFactory, standard

pytestmark = pytest.mark.django_db


def test_a_published_standard_is_shown_read_only(admin_client):
    phone = standard("phone")
    response = admin_client.get(f"/admin/grading/gradingstandard/{phone.pk}/change/")
    assert response.status_code == 200
    assert b'name="name_en"' not in response.content  # no editable field
    response = admin_client.post(f"/admin/grading/gradingstandard/{phone.pk}/change/", {"name_en": "x"})
    assert response.status_code == 403
    assert standard("phone").name_en == "Used phone grading"


def test_a_draft_is_editable_and_published_by_the_action(admin_client):
    draft = DraftStandardFactory(code="phone", version=2)
    assert b'name="name_en"' in admin_client.get(f"/admin/grading/gradingstandard/{draft.pk}/change/").content
    # Empty drafts are refused with the problems listed; nothing changes.
    admin_client.post("/admin/grading/gradingstandard/", {"action": "publish", "_selected_action": [draft.pk]})
    assert GradingStandard.objects.get(pk=draft.pk).status == StandardStatus.DRAFT
    assert standard("phone").status == StandardStatus.PUBLISHED


def test_assessments_are_read_only(admin_client):
    assert admin_client.get("/admin/grading/assessment/").status_code == 200
    assert admin_client.get("/admin/grading/assessment/add/").status_code == 403


def test_the_publish_action_supersedes_the_old_version(admin_client):
    from grading.models import Criterion, GradeLevel

    draft = DraftStandardFactory(code="phone", version=2)
    GradeLevel.objects.create(standard=draft, code="A", rank=0, label_zh="优", label_en="Excellent")
    Criterion.objects.create(standard=draft, key="works", question_zh="能用吗？", question_en="Works?",
                             answer_type="boolean", rules={"false": {"cap": "A"}})
    response = admin_client.post("/admin/grading/gradingstandard/", {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    assert standard("phone", 2).status == StandardStatus.PUBLISHED
    assert standard("phone", 1).status == StandardStatus.SUPERSEDED
