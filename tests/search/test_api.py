"""The search API: public, validated, in the project's error shape, with a query budget."""
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from search import service
from search.backends.base import SearchQuery, SearchUnavailable
from tests.contract.corpus import create_corpus
from tests.factories import member_of
from tests.helpers import assert_error_shape
from tests.listings.factories import PhotoFactory

URL = "/api/v1/search/listings"
SUGGEST = "/api/v1/search/suggest"


@pytest.fixture
def indexed(database_search, db):
    corpus = create_corpus()
    database_search.rebuild(corpus.documents())
    return corpus


def test_the_routes_are_where_clients_expect_them():
    assert reverse("search-listings") == URL
    assert reverse("search-suggest") == SUGGEST


@pytest.mark.parametrize("who", ["anonymous", "user", "org_admin", "staff"])
def test_anyone_may_search_and_sees_only_active_listings(indexed, api, client_for, user, org, staff, who):
    clients = {"anonymous": lambda: api, "user": lambda: client_for(user),
               "org_admin": lambda: client_for(member_of(org, Role.ADMIN)), "staff": lambda: client_for(staff)}
    client = clients[who]()
    response = client.get(URL, {"q": "手机"})
    assert response.status_code == 200, response.content
    body = response.json()
    found = {card["id"] for card in body["results"]}
    assert indexed.id("x-sold") not in found and indexed.id("x-draft") not in found
    assert body["count"] >= len(body["results"]) > 0


def test_the_owner_does_not_see_their_own_inactive_listing_in_search(indexed, client_for):
    owner = indexed.listings["x-draft"].seller
    response = client_for(owner).get(URL, {"q": "Mate X3"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_cards_keep_the_ranking_and_carry_what_a_card_shows(indexed, api):
    PhotoFactory(listing=indexed.listings["a-sony-xm4"])
    response = api.get(URL, {"q": "耳机"})
    body = response.json()
    cards = body["results"]
    ranked = [hit.id for hit in service.search(SearchQuery(q="耳机")).hits]
    assert [card["id"] for card in cards] == ranked and len(ranked) == 3
    card = next(card for card in cards if card["id"] == indexed.id("a-sony-xm4"))
    assert set(card) == {"id", "title", "price", "city", "district", "grade", "kind", "deal", "cover_thumbnail_url",
                         "highlights", "distance_km", "stall"}
    assert card["price"] == "1100.00" and card["kind"] == "second_hand" and card["grade"] == "B"
    assert card["cover_thumbnail_url"].startswith("http://testserver/")
    assert card["highlights"]["title"] == ["索尼 WH-1000XM4 <em>降噪耳机</em> <em>头戴式</em>"]  # kinds of 耳机
    assert all(other["cover_thumbnail_url"] is None for other in cards if other is not card)
    assert body["total_is_exact"] is True and body["page"] == 1 and body["next"] is None


def test_facets_are_labelled(indexed, api):
    body = api.get(URL, {"q": "手机"}, HTTP_ACCEPT_LANGUAGE="en").json()
    kinds = {entry["value"]: entry for entry in body["facets"]["kind"]}
    assert kinds["second_hand"]["label"] == "Second-hand"
    categories = {entry["label"] for entry in body["facets"]["category"]}
    assert "Phones" in categories
    assert [entry["value"] for entry in body["facets"]["price"]][0] == "0-100"


def test_buyers_filter_on_a_condition_level_labelled_in_their_language(indexed, api):
    body = api.get(URL, {"q": "手机", "condition": "excellent"}, HTTP_ACCEPT_LANGUAGE="en").json()
    found = {card["id"] for card in body["results"]}
    phones_graded_a = {indexed.id(key) for key, record in indexed.records.items()
                       if record["category"] == "phones" and record["grade"] == "A" and record["state"] == "active"}
    assert found == phones_graded_a  # A means excellent in the phone standard
    assert all(card["grade"] == "A" for card in body["results"])  # the standard's own code stays on the card
    labels = {entry["value"]: entry["label"] for entry in body["facets"]["condition"]}
    assert labels["excellent"] == "Excellent" and labels["good"] == "Good"  # the facet ignores its own filter
    chinese = APIClient().get(URL, {"condition": "good"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {entry["value"]: entry["label"] for entry in chinese["facets"]["condition"]}["good"] == "成色良好"


def test_an_unknown_condition_level_is_a_400(indexed, api):
    body = assert_error_shape(api.get(URL, {"condition": "P"}), 400, "validation_error")
    assert "condition" in body["errors"]


def test_filters_and_geo_reach_the_backend(indexed, api):
    body = api.get(URL, {"near": "23.13,113.33", "radius_km": "15", "sort": "distance", "kind": "second_hand",
                         "max_price": "100"}).json()
    distances = [card["distance_km"] for card in body["results"]]
    assert distances and distances == sorted(distances) and distances[-1] <= 15
    assert all(Decimal(card["price"]) <= 100 for card in body["results"])


def test_pages_link_to_each_other(indexed, api):
    first = api.get(URL, {"q": "手机", "page_size": 5}).json()
    assert "page=2" in first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert second["page"] == 2 and second["previous"] is not None
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}


@pytest.mark.parametrize(("params", "field"), [
    ({"sort": "cheapest"}, "sort"),
    ({"min_price": "-1"}, "min_price"),
    ({"max_price": "abc"}, "max_price"),
    ({"min_price": "500", "max_price": "100"}, "min_price"),
    ({"radius_km": "5"}, "radius_km"),
    ({"near": "23.1"}, "near"),
    ({"near": "north,south"}, "near"),
    ({"near": "91,113"}, "near"),
    ({"near": "23.1,113.3", "radius_km": "0"}, "radius_km"),
    ({"sort": "distance"}, "sort"),
    ({"page": "0"}, "page"),
    ({"page_size": "101"}, "page_size"),
    ({"page": "1000", "page_size": "100"}, "page"),
    ({"category": "999999"}, "category"),
    ({"kind": "new"}, "kind"),
    ({"certified": "maybe"}, "certified"),
    ({"q": "x" * 201}, "q"),
])
def test_bad_parameters_are_a_clear_400(indexed, api, params, field):
    body = assert_error_shape(api.get(URL, params), 400, "validation_error")
    assert field in body["errors"], body


def test_errors_speak_the_language_of_the_request(indexed):
    client = APIClient()
    response = client.get(URL, {"min_price": "500", "max_price": "100"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert assert_error_shape(response, 400)["detail"] == "最低价高于最高价。"


def test_a_page_past_the_end_is_a_400(indexed, api):
    body = assert_error_shape(api.get(URL, {"q": "手机", "page": 40}), 400, "page_out_of_range")
    assert body["errors"] == {"page": [body["detail"]]}


def test_an_unreachable_backend_is_a_503(database_search, api, monkeypatch):
    def down(query):
        raise SearchUnavailable("connection refused")

    monkeypatch.setattr(database_search, "search", down)
    monkeypatch.setattr(database_search, "suggest", lambda prefix, limit=10: down(None))
    body = assert_error_shape(api.get(URL, {"q": "手机"}), 503, "search_unavailable")
    assert "connection refused" not in body["detail"]
    assert_error_shape(api.get(SUGGEST, {"prefix": "手"}), 503, "search_unavailable")


def test_only_get_is_allowed(indexed, client_for, user):
    assert_error_shape(client_for(user).post(URL, {}), 405, "method_not_allowed")


def test_anonymous_searches_are_throttled(indexed, api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "2/min"},
    }
    assert api.get(URL, {"q": "手机"}).status_code == 200
    assert api.get(SUGGEST, {"prefix": "手"}).status_code == 200
    assert_error_shape(api.get(URL, {"q": "手机"}), 429, "throttled")


@pytest.mark.parametrize("page_size", [5, 40])
def test_a_search_page_costs_a_fixed_number_of_queries(indexed, api, django_assert_max_num_queries, page_size):
    for key in ("p-iphone13", "p-iphone12", "p-mate60"):
        PhotoFactory(listing=indexed.listings[key])
    # The category labels (at most once: they are cached per process, and answer the category
    # check too), the backend's category tree, page and facets with the total, and the cards with
    # their cover thumbnail: the same for any page size.
    with django_assert_max_num_queries(5):
        response = api.get(URL, {"q": "手机", "page_size": page_size, "category": indexed.categories["phones"].pk})
    assert response.status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get(URL, {"page_size": page_size}).status_code == 200


def test_suggest(indexed, api, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api.get(SUGGEST, {"prefix": "iph", "limit": 3})
    assert response.status_code == 200
    suggestions = response.json()["suggestions"]
    assert len(suggestions) == 3 and all(s.lower().startswith("iphone") for s in suggestions)


@pytest.mark.parametrize("params", [{}, {"prefix": ""}, {"prefix": "x" * 51}, {"prefix": "手", "limit": "0"}])
def test_suggest_rejects_bad_parameters(indexed, api, params):
    assert_error_shape(api.get(SUGGEST, params), 400, "validation_error")


def test_search_service_reads_the_backend_from_settings(settings):
    settings.SEARCH_BACKEND = "nonsense"
    service.reset_backends()
    with pytest.raises(ValueError, match="nonsense"):
        service.get_backend()
    service.reset_backends()
