"""Claim photos: checked and cleaned in the request, their thumbnails made by a task after the
commit, never under the order's or the claim's lock (docs/conventions.md, issue 21 section 2)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from marketplace import images
from notifications.tasks import send_notification_email
from orders import claims, tasks
from orders.models import ClaimPhoto
from tests.helpers import record_transaction_depth
from tests.orders.factories import handed_over
from tests.orders.test_claims import open_claim, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer):
    return handed_over(buyer)


@pytest.fixture
def held_tasks(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.make_claim_thumbnail, "delay", queued.append)
    return queued


def test_no_image_work_happens_inside_the_transaction_that_locks_the_order(client_for, buyer, order, monkeypatch):
    outside = len(connection.atomic_blocks)  # the test's own transaction
    depths = []

    record_transaction_depth(monkeypatch, depths, claims, "clean_upload")
    record_transaction_depth(monkeypatch, depths, images, "make_thumbnail")
    response = open_claim(client_for(buyer), order)
    assert response.status_code == 201, response.content
    assert depths == [("clean_upload", outside), ("make_thumbnail", outside)]


def test_the_thumbnail_is_made_by_the_task(client_for, buyer, order, held_tasks):
    body = open_claim(client_for(buyer), order).json()
    [shown] = body["photos"]
    assert shown["url"] and shown["thumbnail_url"] is None
    assert held_tasks == [shown["id"]]
    assert tasks.make_claim_thumbnail(shown["id"]) is True
    stored = ClaimPhoto.objects.get(pk=shown["id"])
    assert stored.thumbnail and stored.thumbnail.name != stored.image.name
    again = client_for(buyer).get(f"/api/v1/claims/{body['id']}/").json()
    assert again["photos"][0]["thumbnail_url"].endswith(stored.thumbnail.name)


def test_with_a_broker_the_task_is_sent_only_after_the_commit(buyer, order, settings, held_tasks, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(send_notification_email, "delay", lambda *args: None)  # the seller's mail: no broker here
    with django_capture_on_commit_callbacks(execute=True):
        claim = claims.open_claim(order, actor=buyer, description="外壳有磕碰", photos=[photo()])
        assert held_tasks == []  # not yet: the rows are not committed
    assert held_tasks == [claim.photos.get().pk]
    assert not claim.photos.get().thumbnail


def test_photos_added_later_get_their_thumbnail_too(client_for, buyer, order, held_tasks):
    claim = claims.open_claim(order, actor=buyer, description="外壳有磕碰", photos=[photo()])
    body = client_for(buyer).post(f"/api/v1/claims/{claim.pk}/photos", {"photos": [photo(seed=2)]},
                                  format="multipart").json()
    assert len(body["photos"]) == 2
    assert held_tasks == [shown["id"] for shown in body["photos"]]


def test_by_default_the_answer_carries_the_thumbnail(client_for, buyer, order):
    body = open_claim(client_for(buyer), order).json()
    assert body["photos"][0]["thumbnail_url"]


def test_the_sweep_gives_old_claim_photos_without_a_thumbnail_one(buyer, order, held_tasks):
    claim = claims.open_claim(order, actor=buyer, description="外壳有磕碰", photos=[photo(seed=1)])
    claims.add_photos(claim, actor=buyer, photos=[photo(seed=2)])
    lost, fresh = claim.photos.order_by("id")
    ClaimPhoto.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert tasks.make_pending_claim_thumbnails() == 1
    assert ClaimPhoto.objects.get(pk=lost.pk).thumbnail
    assert not ClaimPhoto.objects.get(pk=fresh.pk).thumbnail


def test_a_photo_deleted_before_its_task_ran_leaves_no_thumbnail_file(buyer, order, held_tasks):
    claim = claims.open_claim(order, actor=buyer, description="外壳有磕碰", photos=[photo()])
    photo_id = claim.photos.get().pk
    ClaimPhoto.objects.filter(pk=photo_id).delete()
    assert tasks.make_claim_thumbnail(photo_id) is False
