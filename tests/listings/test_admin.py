"""The Django admin pages for listings open for a superuser, with their inlines."""
import pytest
from django.test import Client

from listings import lifecycle
from listings.models import ListingReport
from tests.factories import StaffFactory, UserFactory
from tests.listings.factories import active

pytestmark = pytest.mark.django_db


def test_admin_pages_render():
    admin = StaffFactory(is_superuser=True)
    listing = lifecycle.suspend(active(), actor=None, reason="核查")
    report = ListingReport.objects.create(listing=listing, reporter=UserFactory(), reason="fraud")
    client = Client()
    client.force_login(admin)
    for path in (
        "/admin/listings/category/",
        "/admin/listings/listing/",
        f"/admin/listings/listing/{listing.pk}/change/",
        "/admin/listings/listingreport/",
        f"/admin/listings/listingreport/{report.pk}/change/",
        "/admin/listings/favourite/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get(f"/admin/listings/listing/{listing.pk}/change/").content.decode()
    assert "核查" in page and "<img" in page  # the transition and the photo preview
