"""List parameters are validated like search's: 400 `validation_error` naming the parameter (issue 22, item 15)."""
import pytest

from search import service as search_service
from tests.factories import StaffFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import active, category

pytestmark = pytest.mark.django_db

LISTINGS = "/api/v1/listings/"
SEARCH = "/api/v1/search/listings"


@pytest.mark.parametrize(("parameter", "value"), [
    ("page_size", "abc"),
    ("page_size", "0"),
    ("page_size", "1000"),
    ("page", "abc"),
    ("page", "0"),
    ("min_price", "-1"),
    ("max_price", "abc"),
    ("category", "9999"),
    ("category", "no-such-slug"),
    ("negotiable", "maybe"),
    ("mine", "perhaps"),
    ("seller", "abc"),
    ("seller", "-3"),
    ("organization", "1.5"),
    # Beyond 64 bits neither database can compare an id: it was a 500.
    ("organization", "1e30"),
    ("organization", "99999999999999999999"),
    ("seller", "99999999999999999999"),
    ("category", "99999999999999999999"),
    ("kind", "new"),
    ("state", "lost"),
    ("ordering", "title"),
])
def test_a_value_the_filter_does_not_understand_is_a_400_naming_it(api, parameter, value):
    body = assert_error_shape(api.get(LISTINGS, {parameter: value}), 400, "validation_error")
    assert parameter in body["errors"], body


@pytest.mark.parametrize(("parameter", "value"), [
    ("page_size", "abc"), ("page_size", "1000"), ("min_price", "-1"), ("category", "9999"),
])
def test_search_answers_the_same_parameters_the_same_way(api, parameter, value):
    for url in (LISTINGS, SEARCH):
        assert parameter in assert_error_shape(api.get(url, {parameter: value}), 400, "validation_error")["errors"]


def test_a_minimum_price_above_the_maximum_is_refused(api):
    body = assert_error_shape(api.get(LISTINGS, {"min_price": "50", "max_price": "10"}), 400, "validation_error")
    assert "min_price" in body["errors"]


def test_a_page_past_the_end_answers_as_search_answers_it(api, settings):
    settings.SEARCH_BACKEND = "database"
    search_service.reset_backends()
    listing = active()
    search_service.index(listing)
    for url, params in ((LISTINGS, {}), (SEARCH, {"q": listing.title.split()[0]})):
        body = assert_error_shape(api.get(url, {**params, "page": 5, "page_size": 10}), 400, "page_out_of_range")
        assert body["detail"] == "Page 5 is past the last page of results." and "page" in body["errors"], url
        assert api.get(url, {**params, "page": 1, "page_size": 10}).json()["count"] == 1, url
    search_service.reset_backends()


def test_the_first_page_of_an_empty_list_is_an_empty_page(api):
    body = api.get(LISTINGS, {"category": "furniture"}).json()
    assert (body["count"], body["results"], body["next"], body["previous"]) == (0, [], None, None)


def test_valid_values_still_filter(api, client_for):
    cheap = active(price="20.00", negotiable=True)
    dear = active(price="900.00")
    assert [r["id"] for r in api.get(LISTINGS, {"negotiable": "TRUE"}).json()["results"]] == [cheap.pk]
    assert [r["id"] for r in api.get(LISTINGS, {"negotiable": "0"}).json()["results"]] == [dear.pk]
    assert [r["id"] for r in api.get(LISTINGS, {"min_price": "0", "max_price": "100"}).json()["results"]] == [cheap.pk]
    assert [r["id"] for r in api.get(LISTINGS, {"seller": str(dear.seller_id)}).json()["results"]] == [dear.pk]
    assert api.get(LISTINGS, {"page_size": "1", "page": "2"}).json()["results"] != []
    mine = client_for(cheap.seller).get(LISTINGS, {"mine": "yes"}).json()["results"]
    assert [r["id"] for r in mine] == [cheap.pk]


def test_the_category_filter_takes_an_id_or_a_slug_with_the_categories_below(api):
    novel = active(category=category("novels"), attributes={})
    active()  # furniture
    for value in ("books", str(category("books").pk), "novels"):
        assert [r["id"] for r in api.get(LISTINGS, {"category": value}).json()["results"]] == [novel.pk], value


def test_the_moderation_queue_and_the_watchlist_validate_their_pages_too(client_for):
    staff = client_for(StaffFactory())
    assert "page_size" in assert_error_shape(staff.get("/api/v1/moderation/reports/", {"page_size": "x"}), 400)["errors"]
    assert "reason" in assert_error_shape(staff.get("/api/v1/moderation/reports/", {"reason": "x"}), 400)["errors"]
    assert_error_shape(staff.get("/api/v1/favourites/", {"page": 3}), 400, "page_out_of_range")
