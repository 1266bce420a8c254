"""Search: what will be at this market (with the stall number on each card), giveaways and swaps."""
from decimal import Decimal

import pytest

from events import bookings
from events.listings_at_events import attach_listing
from events.models import Visibility
from listings.models import Deal
from search import service
from tests.events.factories import SchoolFactory, published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import active

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/listings"


@pytest.fixture
def market(community):
    """A market where two sellers bring listings to stalls 4 and 9; a third listing stays home."""
    event = published(stalls=10, organization=community)
    first, second = UserFactory(), UserFactory()
    bookings.request_stall(event, actor=first, stall_number=4)
    bookings.request_stall(event, actor=second, stall_number=9)
    desk = active(seller=first, title="实木书桌 九成新")
    lamp = active(seller=second, title="台灯 宜家", price=Decimal("0"), deal=Deal.GIVEAWAY)
    home = active(seller=second, title="书架 在家")
    attach_listing(event, actor=first, listing_id=desk.pk)
    attach_listing(event, actor=second, listing_id=lamp.pk)
    service.rebuild()
    return event, desk, lamp, home


def test_search_by_event_shows_the_stall_number_on_each_card(api, market):
    event, desk, lamp, home = market
    body = api.get(URL, {"event": event.pk}).json()
    assert {(card["id"], card["stall"]) for card in body["results"]} == {(desk.pk, 4), (lamp.pk, 9)}
    assert body["count"] == 2
    assert [card["id"] for card in api.get(URL, {"event": event.pk, "q": "书桌"}).json()["results"]] == [desk.pk]
    without = api.get(URL, {"q": "书架"}).json()["results"]
    assert [(card["id"], card["stall"]) for card in without] == [(home.pk, None)]


def test_giveaways_and_swaps_are_filtered(api, market):
    event, desk, lamp, home = market
    assert [card["id"] for card in api.get(URL, {"deal": "giveaway"}).json()["results"]] == [lamp.pk]
    assert api.get(URL, {"deal": "giveaway"}).json()["results"][0]["deal"] == "giveaway"
    assert [card["id"] for card in api.get(URL, {"deal": "giveaway", "event": event.pk}).json()["results"]] == [lamp.pk]
    assert api.get(URL, {"deal": "swap"}).json()["results"] == []
    assert_error_shape(api.get(URL, {"deal": "auction"}), 400, "validation_error")


def test_an_event_hidden_from_the_caller_is_a_400_on_event(api, client_for):
    school = SchoolFactory()
    event = published(stalls=1, organization=school, visibility=Visibility.MEMBERS)
    body = assert_error_shape(api.get(URL, {"event": event.pk}), 400, "validation_error")
    assert "event" in body["errors"]
    assert_error_shape(api.get(URL, {"event": 999999}), 400)
    assert_error_shape(api.get(URL, {"event": "x"}), 400)
