"""Photo derivatives are made by a task after the upload commits; a photo is shown once they exist.

Tasks run eagerly by default, so most tests see the finished photo. Here the task is held back
(`held_tasks`) to look at a photo between its upload and its task.
"""
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from listings import eligibility, services, tasks
from listings.models import ListingPhoto
from marketplace.tasks import run_after_commit
from search import service as search_service
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, active, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_tasks(monkeypatch):
    """Photo ids whose derivative task was queued but has not run."""
    queued = []
    monkeypatch.setattr(tasks.make_photo_derivatives, "delay", queued.append)
    return queued


def post_photo(client, listing, **options):
    return client.post(f"/api/v1/listings/{listing.pk}/photos/", {"image": upload(**options)}, format="multipart")


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_the_upload_stores_only_the_cleaned_original_and_queues_the_derivatives(client_for, held_tasks, settings):
    listing = ListingFactory()
    response = post_photo(client_for(listing.seller), listing, seed=4)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ready"], body["display_url"], body["thumbnail_url"]) == (False, None, None)
    assert held_tasks == [body["id"]]
    assert [name.split("/")[2] for name in stored_files(settings)] == ["original"]


def test_a_photo_is_not_shown_or_counted_until_its_task_has_run(client_for, api, held_tasks):
    draft = ListingFactory(grade_code="A")
    seller = client_for(draft.seller)
    photo_id = post_photo(seller, draft, seed=5).json()["id"]

    # The seller sees it waiting; the listing does not show it and may not be published on it.
    assert [(p["id"], p["ready"]) for p in seller.get(f"/api/v1/listings/{draft.pk}/photos/").json()] == [(photo_id, False)]
    detail = seller.get(f"/api/v1/listings/{draft.pk}/").json()
    assert detail["photos"] == [] and detail["cover_thumbnail_url"] is None
    refused = assert_error_shape(seller.post(f"/api/v1/listings/{draft.pk}/publish/"), 409, "not_publishable")
    assert "photo" in refused["detail"]

    assert tasks.make_photo_derivatives(photo_id) is True

    photo = ListingPhoto.objects.get(pk=photo_id)
    assert photo.ready and default_storage.exists(photo.display.name) and default_storage.exists(photo.thumbnail.name)
    detail = seller.get(f"/api/v1/listings/{draft.pk}/").json()
    assert [p["id"] for p in detail["photos"]] == [photo_id]
    assert detail["cover_thumbnail_url"].endswith(photo.thumbnail.name)
    assert seller.post(f"/api/v1/listings/{draft.pk}/publish/").status_code == 200
    assert [p["id"] for p in api.get(f"/api/v1/listings/{draft.pk}/photos/").json()] == [photo_id]


def test_others_see_only_ready_photos_of_a_public_listing(client_for, api, held_tasks):
    listing = active()
    shown = listing.photos.get()
    waiting = post_photo(client_for(listing.seller), listing, seed=6).json()["id"]
    assert [p["id"] for p in api.get(f"/api/v1/listings/{listing.pk}/photos/").json()] == [shown.pk]
    assert [p["id"] for p in api.get(f"/api/v1/listings/{listing.pk}/").json()["photos"]] == [shown.pk]
    card = next(c for c in api.get("/api/v1/listings/").json()["results"] if c["id"] == listing.pk)
    assert card["cover_thumbnail_url"].endswith(shown.thumbnail.name)
    assert {p["id"] for p in client_for(listing.seller).get(f"/api/v1/listings/{listing.pk}/photos/").json()} == {
        shown.pk, waiting}


def test_a_search_card_shows_a_cover_only_once_its_thumbnail_exists(client_for, api, held_tasks, settings):
    settings.SEARCH_BACKEND = "database"
    search_service.reset_backends()
    listing = active(title="榆木茶几 带抽屉")
    search_service.index(listing)
    seller = client_for(listing.seller)
    waiting = post_photo(seller, listing, seed=7).json()["id"]
    assert seller.post(f"/api/v1/listings/{listing.pk}/photos/{waiting}/set-cover/").status_code == 200

    def card():
        results = api.get("/api/v1/search/listings", {"q": "茶几"}).json()["results"]
        return next(c for c in results if c["id"] == listing.pk)

    # Never a link to a file that does not exist yet: the ready photo stays the cover until then.
    assert card()["cover_thumbnail_url"].endswith(listing.photos.get(ready=True).thumbnail.name)
    tasks.make_photo_derivatives(waiting)
    assert card()["cover_thumbnail_url"].endswith(ListingPhoto.objects.get(pk=waiting).thumbnail.name)
    search_service.reset_backends()


def test_the_task_changes_nothing_the_second_time(held_tasks):
    listing = ListingFactory()
    photo = services.add_photo(listing, actor=listing.seller, uploaded_file=upload(seed=8))
    assert tasks.make_photo_derivatives(photo.pk) is True
    made = ListingPhoto.objects.get(pk=photo.pk)
    assert tasks.make_photo_derivatives(photo.pk) is True
    again = ListingPhoto.objects.get(pk=photo.pk)
    assert (again.display.name, again.thumbnail.name) == (made.display.name, made.thumbnail.name)


def test_a_photo_deleted_before_its_task_leaves_no_derivatives_behind(held_tasks, settings, django_capture_on_commit_callbacks):
    listing = ListingFactory()
    photo = services.add_photo(listing, actor=listing.seller, uploaded_file=upload(seed=9))
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_photo(photo, actor=listing.seller)
    assert tasks.make_photo_derivatives(photo.pk) is False
    assert stored_files(settings) == set()


def test_the_sweep_makes_photos_whose_task_was_lost(held_tasks):
    listing = ListingFactory()
    lost = services.add_photo(listing, actor=listing.seller, uploaded_file=upload(seed=10))
    fresh = services.add_photo(listing, actor=listing.seller, uploaded_file=upload(seed=11))
    ListingPhoto.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert tasks.make_pending_photo_derivatives() == 1
    assert ListingPhoto.objects.get(pk=lost.pk).ready and not ListingPhoto.objects.get(pk=fresh.pk).ready


def test_by_default_the_task_has_run_when_the_upload_answers(client_for):
    listing = ListingFactory()
    body = post_photo(client_for(listing.seller), listing, seed=12).json()
    assert body["ready"] is True and body["thumbnail_url"].startswith("http://testserver/")


def test_with_a_broker_the_task_is_sent_only_after_the_commit(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr(tasks.make_photo_derivatives, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        run_after_commit(tasks.make_photo_derivatives, 42)
        assert sent == []
    assert sent == [42]


def test_publishing_counts_ready_photos_only(held_tasks):
    draft = ListingFactory(grade_code="A")
    services.add_photo(draft, actor=draft.seller, uploaded_file=upload(seed=13))
    assert "photo_required" in {problem.code for problem in eligibility.problems(draft)}
    for photo_id in held_tasks:
        services.make_photo_derivatives(photo_id)
    assert "photo_required" not in {problem.code for problem in eligibility.problems(draft)}
