"""Sellers bring their listings to their stall; what will be at the market, by stall."""
import pytest

from events import bookings
from listings.models import ListingState
from tests.events.factories import published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def on_sale(seller, **fields):
    return ListingFactory(seller=seller, state=ListingState.ACTIVE, grade_code="A", **fields)


def test_a_stall_holder_brings_listings_shown_by_stall(client_for, community):
    event = published(stalls=3, organization=community)
    seller = UserFactory()
    bookings.request_stall(event, actor=seller, stall_number=3)
    listing = on_sale(seller, title="实木书桌")
    response = client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["stall"] == 3
    shown = client_for(None).get(f"/api/v1/events/{event.pk}/listings").json()
    assert [(row["listing"], row["title"], row["stall"]) for row in shown] == [(listing.pk, "实木书桌", 3)]
    assert_error_shape(client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk},
                                               format="json"), 409, "already_attached")


def test_only_own_listings_on_sale_and_only_with_a_stall(client_for, community):
    event = published(stalls=2, organization=community)
    seller, stranger = UserFactory(), UserFactory()
    listing = on_sale(seller)
    assert_error_shape(client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk},
                                               format="json"), 403, "no_stall")
    bookings.request_stall(event, actor=seller)
    bookings.request_stall(event, actor=stranger)
    assert_error_shape(client_for(stranger).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk},
                                                 format="json"), 400, "not_your_listing")
    draft = ListingFactory(seller=seller)
    assert_error_shape(client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": draft.pk},
                                               format="json"), 409, "listing_not_on_sale")
    assert_error_shape(client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": 999999},
                                               format="json"), 400, "not_your_listing")


def test_listings_leave_the_event_with_the_booking_and_can_be_taken_off(client_for, community, organizer):
    event = published(stalls=2, organization=community)
    seller = UserFactory()
    booking = bookings.request_stall(event, actor=seller)
    first, second = on_sale(seller), on_sale(seller)
    for listing in (first, second):
        client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk}, format="json")
    assert_error_shape(client_for(UserFactory()).delete(f"/api/v1/events/{event.pk}/listings/{first.pk}"), 403)
    assert client_for(seller).delete(f"/api/v1/events/{event.pk}/listings/{first.pk}").status_code == 204
    assert [row["listing"] for row in client_for(None).get(f"/api/v1/events/{event.pk}/listings").json()] == [second.pk]
    bookings.cancel_booking(booking, actor=seller)
    assert client_for(None).get(f"/api/v1/events/{event.pk}/listings").json() == []


def test_a_listing_no_longer_public_is_not_shown(client_for, community):
    event = published(stalls=1, organization=community)
    seller = UserFactory()
    bookings.request_stall(event, actor=seller)
    listing = on_sale(seller)
    client_for(seller).post(f"/api/v1/events/{event.pk}/listings", {"listing": listing.pk}, format="json")
    type(listing).objects.filter(pk=listing.pk).update(state=ListingState.WITHDRAWN)
    assert client_for(None).get(f"/api/v1/events/{event.pk}/listings").json() == []
