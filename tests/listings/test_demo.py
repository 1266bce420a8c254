"""The demo loader builds believable listings through the real services, and is idempotent."""
import pytest

from accounts import demo as accounts_demo
from listings import demo
from listings.models import Listing, ListingPhoto, ListingState

pytestmark = pytest.mark.django_db


def test_demo_listings_are_graded_photographed_published_and_loaded_once():
    world = {}
    accounts_demo.load(world)
    summary = demo.load(world)
    assert "left as drafts" not in summary, summary
    assert Listing.objects.count() == len(demo.LISTINGS)
    assert not Listing.objects.filter(grade_code="").exists()
    assert ListingPhoto.objects.count() == len(demo.LISTINGS)
    assert not ListingPhoto.objects.filter(duplicate_of__isnull=False).exists()
    states = dict.fromkeys(ListingState.values, 0)
    for state in Listing.objects.values_list("state", flat=True):
        states[state] += 1
    assert states["active"] >= 25 and states["sold"] == 2 and states["reserved"] == 2 and states["draft"] == 1
    roots = {listing.category.parent.slug if listing.category.parent else listing.category.slug for listing in Listing.objects.select_related("category__parent")}
    assert len(roots) == 11  # every top-level category

    demo.load(world)
    assert Listing.objects.count() == len(demo.LISTINGS)
    assert ListingPhoto.objects.count() == len(demo.LISTINGS)
