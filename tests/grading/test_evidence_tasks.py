"""Evidence photos: the image is checked and cleaned before the assessment is locked, and the
thumbnail is made by a task after the commit (issue 21, section 2)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from grading import services, tasks
from grading.models import AssessmentEvidence
from listings.models import ListingState
from marketplace import images
from tests.grading.factories import PHONE_PERFECT, listing_for
from tests.helpers import record_transaction_depth
from tests.listings.factories import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def declared(user):
    listing = listing_for("phone", seller=user, state=ListingState.ACTIVE)
    return services.self_assess(listing, actor=user, answers=PHONE_PERFECT)


@pytest.fixture
def held_tasks(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.make_evidence_thumbnail, "delay", queued.append)
    return queued


def url(assessment):
    return f"/api/v1/listings/{assessment.listing_id}/assessments/{assessment.pk}/evidence"


def test_no_image_work_happens_inside_the_transaction_that_locks_the_assessment(client_for, user, declared, monkeypatch):
    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths = []

    record_transaction_depth(monkeypatch, depths, services, "clean_upload")
    record_transaction_depth(monkeypatch, depths, images, "make_thumbnail")  # called by the task, marketplace.images.make_stored_thumbnail
    response = client_for(user).post(url(declared), {"image": upload()}, format="multipart")
    assert response.status_code == 201, response.content
    assert depths == [("clean_upload", outside), ("make_thumbnail", outside)]


def test_the_thumbnail_is_made_by_the_task(client_for, user, declared, held_tasks):
    body = client_for(user).post(url(declared), {"image": upload()}, format="multipart").json()
    assert body["thumbnail"] is None and body["image"]
    assert held_tasks == [body["id"]]
    assert tasks.make_evidence_thumbnail(body["id"]) is True
    evidence = AssessmentEvidence.objects.get(pk=body["id"])
    assert evidence.thumbnail and evidence.thumbnail.name != evidence.image.name
    report = client_for(None).get(f"/api/v1/listings/{declared.listing_id}/grade-report").json()
    photos = report["declared"]["general_evidence"]
    assert photos and photos[0]["thumbnail_url"].endswith(evidence.thumbnail.name)


def test_by_default_the_answer_carries_the_thumbnail(client_for, user, declared):
    body = client_for(user).post(url(declared), {"image": upload()}, format="multipart").json()
    assert body["thumbnail"]


def test_the_sweep_gives_old_evidence_without_a_thumbnail_one(user, declared, held_tasks):
    lost = services.add_evidence(declared, actor=user, image=upload(seed=1))
    fresh = services.add_evidence(declared, actor=user, image=upload(seed=2))
    AssessmentEvidence.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert tasks.make_pending_evidence_thumbnails() == 1
    assert AssessmentEvidence.objects.get(pk=lost.pk).thumbnail
    assert not AssessmentEvidence.objects.get(pk=fresh.pk).thumbnail
