"""Photos through the API: cleaning, ordering, cover, limits, deletion and duplicate detection."""
import io

import pytest
from django.core.files.storage import default_storage
from PIL import ExifTags, Image

from listings import lifecycle
from listings.models import ListingPhoto, ListingReport
from tests.factories import StaffFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, PhotoFactory, active, image_bytes, upload

pytestmark = pytest.mark.django_db


def post_photo(client, listing, file):
    return client.post(f"/api/v1/listings/{listing.pk}/photos/", {"image": file}, format="multipart")


def gps_jpeg(seed=3):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 32.0, 10.0)
    return image_bytes(seed=seed, exif=exif)


def test_uploaded_photo_is_stored_without_gps_and_with_derivatives(client_for):
    listing = ListingFactory()
    response = post_photo(client_for(listing.seller), listing, upload(content=gps_jpeg()))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["position"] == 0 and (body["width"], body["height"]) == (640, 480)
    photo = ListingPhoto.objects.get(pk=body["id"])
    for field in (photo.original, photo.display, photo.thumbnail):
        with default_storage.open(field.name) as stored:
            data = stored.read()
        image = Image.open(io.BytesIO(data))
        assert not image.getexif() and b"SpyCam" not in data
    assert photo.original.name.startswith(f"listings/{listing.pk}/original/")
    assert Image.open(default_storage.open(photo.thumbnail.name)).size == (320, 240)


def test_a_text_file_named_jpg_is_a_400_in_the_error_shape(client_for):
    listing = ListingFactory()
    fake = upload(content=b"GIF89a? no, just text pretending", name="cat.jpg")
    assert_error_shape(post_photo(client_for(listing.seller), listing, fake), 400, "invalid_image")
    assert not listing.photos.exists()


def test_a_decompression_bomb_is_a_400(client_for):
    listing = ListingFactory()
    bomb = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(bomb, "PNG")
    response = post_photo(client_for(listing.seller), listing, upload("bomb.png", content=bomb.getvalue(), content_type="image/png"))
    assert_error_shape(response, 400, "image_too_many_pixels")


def test_at_most_the_configured_number_of_photos(client_for, settings):
    settings.LISTING_MAX_PHOTOS = 2
    listing = ListingFactory()
    client = client_for(listing.seller)
    assert post_photo(client, listing, upload(seed=1)).status_code == 201
    assert post_photo(client, listing, upload(seed=2)).status_code == 201
    assert_error_shape(post_photo(client, listing, upload(seed=3)), 409, "too_many_photos")


@pytest.mark.parametrize("state", ["reserved", "sold", "withdrawn", "suspended"])
def test_photos_are_managed_in_draft_and_active_only(client_for, state):
    listing = active()
    if state == "reserved":
        listing = lifecycle.reserve(listing, actor=None)
    elif state == "sold":
        listing = lifecycle.mark_sold(listing, actor=None)
    elif state == "withdrawn":
        listing = lifecycle.withdraw(listing, actor=None)
    else:
        listing = lifecycle.suspend(listing, actor=None, reason="x")
    client = client_for(listing.seller)
    assert_error_shape(post_photo(client, listing, upload(seed=5)), 409, "photos_locked")
    photo = listing.photos.get()
    assert_error_shape(client.delete(f"/api/v1/listings/{listing.pk}/photos/{photo.pk}/"), 409, "photos_locked")


def test_reorder_and_set_cover(client_for, api):
    listing = active()
    first = listing.photos.get()
    second, third = PhotoFactory(listing=listing, position=1), PhotoFactory(listing=listing, position=2)
    client = client_for(listing.seller)

    response = client.post(f"/api/v1/listings/{listing.pk}/photos/reorder/", {"photo_ids": [third.pk, first.pk, second.pk]}, format="json")
    assert [p["id"] for p in response.json()] == [third.pk, first.pk, second.pk]
    assert [p["position"] for p in response.json()] == [0, 1, 2]

    response = client.post(f"/api/v1/listings/{listing.pk}/photos/{second.pk}/set-cover/")
    assert [p["id"] for p in response.json()] == [second.pk, third.pk, first.pk]
    cover = api.get(f"/api/v1/listings/{listing.pk}/").json()["cover_thumbnail_url"]
    assert cover.endswith(ListingPhoto.objects.get(pk=second.pk).thumbnail.name)


def test_reorder_must_name_every_photo_once(client_for):
    listing = active()
    first = listing.photos.get()
    second = PhotoFactory(listing=listing, position=1)
    other = PhotoFactory()
    client = client_for(listing.seller)
    for ids in ([first.pk], [first.pk, first.pk], [first.pk, other.pk], [first.pk, second.pk, other.pk]):
        assert_error_shape(client.post(f"/api/v1/listings/{listing.pk}/photos/reorder/", {"photo_ids": ids}, format="json"), 400)


def test_a_photo_of_another_listing_is_not_found(client_for):
    listing = active()
    foreign = PhotoFactory(listing=active(seller=listing.seller))
    client = client_for(listing.seller)
    assert client.post(f"/api/v1/listings/{listing.pk}/photos/{foreign.pk}/set-cover/").status_code == 404
    assert client.delete(f"/api/v1/listings/{listing.pk}/photos/{foreign.pk}/").status_code == 404


def test_deleting_a_photo_renumbers_and_removes_files_after_commit(client_for, django_capture_on_commit_callbacks):
    listing = active()
    first = listing.photos.get()
    second = PhotoFactory(listing=listing, position=1)
    names = [first.original.name, first.display.name, first.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client_for(listing.seller).delete(f"/api/v1/listings/{listing.pk}/photos/{first.pk}/").status_code == 204
    assert all(default_storage.exists(name) for name in names)  # not before the commit
    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(name) for name in names)
    second.refresh_from_db()
    assert second.position == 0


class TestDuplicates:
    def test_the_same_picture_on_another_sellers_listing_is_flagged_and_reported(self, client_for):
        original = active()
        PhotoFactory(listing=original, seed=99, position=1)
        thief_listing = ListingFactory()
        recompressed = upload(content=image_bytes(seed=99, quality=55))
        response = post_photo(client_for(thief_listing.seller), thief_listing, recompressed)
        assert response.status_code == 201
        photo = ListingPhoto.objects.get(pk=response.json()["id"])
        assert photo.duplicate_of.listing == original
        report = ListingReport.objects.get(listing=thief_listing)
        assert (report.reason, report.reporter, report.status) == ("duplicate", None, "open")
        # The seller does not see the flag; staff do, in the photo list and in the queue.
        assert response.json()["duplicate_of_listing"] is None
        staff = client_for(StaffFactory())
        photos = staff.get(f"/api/v1/listings/{thief_listing.pk}/photos/").json()
        assert photos[0]["duplicate_of_listing"] == original.pk
        queue = staff.get("/api/v1/moderation/reports/").json()["results"]
        assert queue[0]["duplicate_photos"] == [{"photo": photo.pk, "duplicate_of_listing": original.pk}]

    def test_a_second_reused_photo_does_not_file_a_second_report(self, client_for):
        original = active()
        PhotoFactory(listing=original, seed=41, position=1)
        PhotoFactory(listing=original, seed=42, position=2)
        copy = ListingFactory()
        client = client_for(copy.seller)
        post_photo(client, copy, upload(seed=41))
        post_photo(client, copy, upload(seed=42))
        assert copy.photos.filter(duplicate_of__isnull=False).count() == 2
        assert ListingReport.objects.filter(listing=copy).count() == 1

    def test_a_seller_reusing_their_own_picture_is_not_flagged(self, client_for):
        first = active()
        PhotoFactory(listing=first, seed=77, position=1)
        second = ListingFactory(seller=first.seller)
        response = post_photo(client_for(first.seller), second, upload(seed=77))
        assert ListingPhoto.objects.get(pk=response.json()["id"]).duplicate_of is None
        assert not ListingReport.objects.exists()

    def test_a_different_picture_is_not_flagged(self, client_for):
        PhotoFactory(listing=active(), seed=10)
        listing = ListingFactory()
        response = post_photo(client_for(listing.seller), listing, upload(seed=11))
        assert ListingPhoto.objects.get(pk=response.json()["id"]).duplicate_of is None


class TestLastPhoto:
    """A listing on sale keeps a photo it can show (issue 22, item 12)."""

    def test_the_last_photo_of_an_active_listing_is_refused_with_409(self, client_for, api):
        listing = active()
        photo = listing.photos.get()
        response = client_for(listing.seller).delete(f"/api/v1/listings/{listing.pk}/photos/{photo.pk}/")
        body = assert_error_shape(response, 409, "last_photo")
        assert "last photo" in body["detail"]
        assert listing.photos.filter(pk=photo.pk).exists()
        assert api.get(f"/api/v1/listings/{listing.pk}/").json()["cover_thumbnail_url"]

    def test_one_of_several_photos_of_an_active_listing_may_go(self, client_for):
        listing = active()
        photo = listing.photos.get()
        PhotoFactory(listing=listing, position=1)
        assert client_for(listing.seller).delete(f"/api/v1/listings/{listing.pk}/photos/{photo.pk}/").status_code == 204

    def test_a_photo_still_waiting_for_its_derivatives_does_not_count(self, client_for):
        listing = active()
        shown = listing.photos.get()
        waiting = PhotoFactory(listing=listing, position=1, ready=False)
        client = client_for(listing.seller)
        assert_error_shape(client.delete(f"/api/v1/listings/{listing.pk}/photos/{shown.pk}/"), 409, "last_photo")
        assert client.delete(f"/api/v1/listings/{listing.pk}/photos/{waiting.pk}/").status_code == 204

    def test_the_last_photo_of_a_draft_may_go(self, client_for):
        listing = ListingFactory()
        photo = PhotoFactory(listing=listing)
        assert client_for(listing.seller).delete(f"/api/v1/listings/{listing.pk}/photos/{photo.pk}/").status_code == 204
        assert not listing.photos.exists()
