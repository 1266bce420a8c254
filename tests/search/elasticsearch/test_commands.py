"""generate_data (the benchmark corpus) and search_rebuild on the database backend."""
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import OrganizationKind
from bench.search.corpus import CITIES, ListingMaker
from grading.models import Assessment, AssessmentSource, GradeLevel
from listings.attributes import validate_attributes
from listings.models import GradeSource, Listing, ListingKind, ListingState
from search import service
from search.backends.base import SearchQuery

pytestmark = pytest.mark.django_db

CITY_NAMES = {city[0] for city in CITIES}


def generate(count=120, seed=3):
    out = StringIO()
    call_command("generate_data", listings=count, seed=seed, no_progress=True, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_same_seed_gives_the_same_listings():
    def sample(seed):
        maker = ListingMaker(random.Random(seed))
        return [(maker.text(maker.category(), "second_hand"), maker.place()) for _ in range(30)]

    assert sample(5) == sample(5)
    assert sample(5) != sample(6)


def test_generate_data_creates_valid_realistic_listings_through_the_models():
    message = generate(120)

    listings = list(Listing.objects.select_related("category", "organization"))
    assert len(listings) == 120
    assert "120" in message
    states = {listing.state for listing in listings}
    assert ListingState.ACTIVE in states
    assert sum(listing.state == ListingState.ACTIVE for listing in listings) >= 100
    for listing in listings:
        # Bulk inserts skip validation: check what the services would have checked.
        validate_attributes(listing.category.attribute_schema, listing.attributes)
        assert listing.price > 0 and listing.title and listing.description
        assert listing.city in CITY_NAMES
        assert (listing.published_at is None) == (listing.state == ListingState.DRAFT)
        levels = GradeLevel.objects.filter(standard__code=listing.category.grading_standard_code, sellable=True)
        assert listing.grade_code in set(levels.values_list("code", flat=True))
        if listing.kind == ListingKind.REMANUFACTURED:
            assert listing.organization.kind == OrganizationKind.REMANUFACTURER
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in listing.title) for listing in listings)
    assert any(listing.title.isascii() for listing in listings)
    inspected = [listing for listing in listings if listing.grade_source == GradeSource.INSPECTION]
    assessments = Assessment.objects.filter(source=AssessmentSource.INSPECTION)
    assert assessments.count() == len(inspected)
    assert all(a.grade.code == a.listing.grade_code for a in assessments.select_related("grade", "listing"))


def test_generate_data_refuses_to_generate_the_same_seed_twice():
    generate(20, seed=9)
    with pytest.raises(CommandError, match="already exists"):
        generate(20, seed=9)


def test_search_rebuild_indexes_every_active_listing_with_the_database_backend(settings):
    settings.SEARCH_BACKEND = "database"
    service.reset_backends()
    generate(60, seed=4)
    active = Listing.objects.filter(state=ListingState.ACTIVE).count()

    out = StringIO()
    call_command("search_rebuild", workers=1, no_progress=True, stdout=out, stderr=StringIO())

    assert f"{active}" in out.getvalue()
    assert service.search(SearchQuery(page_size=100)).total == active
    service.reset_backends()
