"""The search endpoint's fast paths: a body equal to what its serializer renders, cached category
labels that follow renames and deletes, and the card query."""
import json

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from listings.models import Category, Listing, ListingState
from search import selectors, views
from search.serializers import SearchResponseSerializer
from tests.contract.corpus import create_corpus
from tests.listings.factories import PhotoFactory

URL = "/api/v1/search/listings"


@pytest.fixture(autouse=True)
def fresh_labels():
    """A test's rollback sends no signal: leave no label of its categories to the next test."""
    yield
    selectors._clear_labels()


@pytest.fixture
def indexed(database_search, db):
    corpus = create_corpus()
    database_search.rebuild(corpus.documents())
    return corpus


@pytest.fixture
def bodies(monkeypatch):
    """Every body the view hands to Response, as built."""
    seen = []
    response = views.Response

    def capture(body, *args, **kwargs):
        seen.append(body)
        return response(body, *args, **kwargs)

    monkeypatch.setattr(views, "Response", capture)
    return seen


@pytest.mark.parametrize("params", [
    {"q": "手机", "page_size": 5, "page": 2},
    {"q": "充电器"},
    {"near": "23.13,113.33", "radius_km": "15", "sort": "distance", "q": "沙发"},
    {"sort": "price_desc", "kind": "second_hand", "max_price": "100"},
    {"q": "nothing-matches-this"},
])
def test_the_body_is_what_the_response_serializer_renders(indexed, api, bodies, params):
    PhotoFactory(listing=indexed.listings["a-charger"])
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    [body] = bodies

    def dump(data):
        return json.dumps(data, ensure_ascii=False)

    # The serializer reads a card's grade from `grade_code`, as the view used to hand it over.
    source = {**body, "results": [{**card, "grade_code": card["grade"]} for card in body["results"]]}
    assert dump(body) == dump(SearchResponseSerializer(source).data)
    assert response.json() == json.loads(dump(body))


def test_a_card_carries_the_first_photos_thumbnail(indexed, api):
    listing = indexed.listings["a-charger"]
    second = PhotoFactory(listing=listing, position=1)
    first = PhotoFactory(listing=listing, position=0)
    card = next(c for c in api.get(URL, {"q": "充电器"}).json()["results"] if c["id"] == listing.pk)
    assert card["cover_thumbnail_url"] == "http://testserver" + first.thumbnail.url != "http://testserver" + second.thumbnail.url


def test_a_card_skips_photos_whose_derivatives_are_not_made_yet(indexed, api):
    listing = indexed.listings["a-charger"]
    PhotoFactory(listing=listing, position=0, ready=False)  # uploaded; its task has not run
    shown = PhotoFactory(listing=listing, position=1)
    card = next(c for c in api.get(URL, {"q": "充电器"}).json()["results"] if c["id"] == listing.pk)
    assert card["cover_thumbnail_url"] == "http://testserver" + shown.thumbnail.url


def test_a_renamed_category_is_labelled_with_its_new_name(indexed, api):
    phones = indexed.categories["phones"]
    labels = {e["value"]: e["label"] for e in api.get(URL, {"q": "手机"}).json()["facets"]["category"]}
    assert labels[str(phones.pk)] == "Phones"
    phones.name_en = "Mobile phones"
    phones.save()
    labels = {e["value"]: e["label"] for e in api.get(URL, {"q": "手机"}).json()["facets"]["category"]}
    assert labels[str(phones.pk)] == "Mobile phones"


def test_labels_are_cached_per_language_and_forgotten_on_delete(indexed, api, django_assert_num_queries):
    phones = indexed.categories["phones"]
    with translation.override("en"), django_assert_num_queries(1):
        assert selectors.category_labels([phones.pk])[phones.pk] == "Phones"
    with translation.override("en"), django_assert_num_queries(0):
        assert selectors.category_labels([phones.pk])[phones.pk] == "Phones"
    chinese = APIClient().get(URL, {"q": "手机"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["facets"]["category"]
    assert phones.name_zh in {e["label"] for e in chinese}
    spare = Category.objects.create(slug="spare", name_zh="备用", name_en="Spare")
    assert selectors.category_exists(spare.pk)
    spare.delete()
    assert not selectors.category_exists(spare.pk)


def test_a_category_made_without_signals_is_found_on_a_cache_miss(indexed, api):
    assert api.get(URL, {"q": "手机"}).status_code == 200  # fills the cache
    [made] = Category.objects.bulk_create([Category(slug="bulk-made", name_zh="批量", name_en="Bulk")])
    assert api.get(URL, {"category": made.pk}).status_code == 200
    assert api.get(URL, {"category": made.pk + 1000}).status_code == 400


def test_labels_expire(indexed, monkeypatch, django_assert_num_queries):
    selectors.category_labels()
    monkeypatch.setattr(selectors, "LABELS_TTL_SECONDS", 0.0)
    with django_assert_num_queries(1):
        selectors.category_labels()


def test_a_hit_whose_listing_left_the_active_state_is_left_out(indexed, api):
    """Between a state change and its reindexing, the index may still hold the listing: the card
    read with the page (PostgreSQL) or after it (SQLite) leaves it out rather than show it."""
    listing = indexed.listings["a-charger"]
    before = [c["id"] for c in api.get(URL, {"q": "充电器"}).json()["results"]]
    assert listing.pk in before
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.SOLD)  # no signal: not reindexed
    after = [c["id"] for c in api.get(URL, {"q": "充电器"}).json()["results"]]
    assert after == [pk for pk in before if pk != listing.pk]
    browsing = [c["id"] for c in api.get(URL, {"sort": "newest", "page_size": 100}).json()["results"]]
    assert listing.pk not in browsing and browsing
