"""Requests racing on one photo or on the listing it belongs to: 404 for what another request
deleted, never a 500 (issue 22, item 1). PostgreSQL only: SQLite serializes writers."""
import threading
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from listings.models import Listing, ListingPhoto
from tests.helpers import run_together
from tests.listings.factories import ListingFactory, PhotoFactory, upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def at_once(*requests):
    """Send the requests from one thread each, released together; returns the responses in order."""
    barrier, responses = threading.Barrier(len(requests)), [None] * len(requests)

    def send(index, request):
        barrier.wait()
        responses[index] = request()

    errors = run_together(*(lambda i=i, r=r: send(i, r) for i, r in enumerate(requests)), timeout=60)
    assert errors == []
    return responses


def test_twenty_deletes_of_one_photo_one_wins_the_rest_are_404():
    listing = ListingFactory()
    photo = PhotoFactory(listing=listing)
    path = f"/api/v1/listings/{listing.pk}/photos/{photo.pk}/"
    responses = at_once(*(lambda: client_of(listing.seller).delete(path) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [204] + [404] * 19, statuses
    for response in responses[1:]:
        if response.status_code == 404:
            assert response.json()["type"] == "not_found"
    assert not ListingPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize("run", range(3))
def test_an_upload_racing_the_deletion_of_its_listing_is_never_a_500(settings, run):
    listing = ListingFactory()
    seller = listing.seller
    image = upload(seed=20 + run).read()

    def send_upload():
        from django.core.files.uploadedfile import SimpleUploadedFile

        file = SimpleUploadedFile("photo.jpg", image, content_type="image/jpeg")
        return client_of(seller).post(f"/api/v1/listings/{listing.pk}/photos/", {"image": file}, format="multipart")

    uploaded, deleted = at_once(send_upload, lambda: client_of(seller).delete(f"/api/v1/listings/{listing.pk}/"))
    assert deleted.status_code == 204, deleted.content
    assert uploaded.status_code in (201, 404), uploaded.content
    if uploaded.status_code == 404:
        assert uploaded.json()["type"] == "not_found"
    assert not Listing.objects.filter(pk=listing.pk).exists() and not ListingPhoto.objects.exists()
    # Whichever came first, every file written for the photo is removed again.
    root = Path(settings.MEDIA_ROOT)
    assert not [path for path in root.rglob("*") if path.is_file()] if root.exists() else True
