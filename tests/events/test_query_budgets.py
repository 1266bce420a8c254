"""List endpoints answer in a constant number of queries, whatever the number of rows."""
import pytest

from events import attendance, bookings, books, swaps
from events.listings_at_events import attach_listing
from tests.events.factories import CornerFactory, published, share_day, student, teacher
from tests.factories import UserFactory
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_event_list(client_for, community, django_assert_max_num_queries):
    for _ in range(12):
        event = published(stalls=3, organization=community)
        attendance.rsvp(event, actor=UserFactory())
    client = client_for(UserFactory())
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/events/", {"near": "23.13,113.33", "radius_km": 20}).json()
    assert body["count"] == 12 and body["results"][0]["stall_count"] == 3 and body["results"][0]["going_count"] == 1


def test_stalls_bookings_and_listings_at_an_event(client_for, community, organizer, django_assert_max_num_queries):
    event = published(stalls=15, organization=community)
    for _ in range(15):
        seller = UserFactory()
        bookings.request_stall(event, actor=seller)
        link_listing = ListingFactory(seller=seller, state="active", grade_code="A")
        attach_listing(event, actor=seller, listing_id=link_listing.pk)
    client = client_for(organizer)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/v1/events/{event.pk}/stalls").json()) == 15
    with django_assert_max_num_queries(6):
        assert len(client.get(f"/api/v1/events/{event.pk}/bookings").json()) == 15
    with django_assert_max_num_queries(4):
        assert len(client_for(None).get(f"/api/v1/events/{event.pk}/listings").json()) == 15
    with django_assert_max_num_queries(7):
        assert client.get(f"/api/v1/events/{event.pk}/arrivals").json()["sellers"]["expected"] == 15


def test_corner_books_and_swap_lists(client_for, school, school_admin, django_assert_max_num_queries):
    corner, keeper = CornerFactory(organization=school), teacher(school)
    day = share_day(school)
    pupils = [student(school) for _ in range(10)]
    for pupil in pupils:
        books.deposit_book(corner, actor=keeper, giver=pupil, isbn="9787040396638", title="高等数学", grade="G")
        swaps.add_offer(day, actor=pupil, isbn="9787040396621", title="线性代数")
        swaps.add_want(day, actor=pupil, isbn="9787536692930", title="三体")
    client = client_for(school_admin)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/events/corners/{corner.pk}/books").json()["count"] == 10
    with django_assert_max_num_queries(5):
        assert client.get("/api/v1/events/corners/").json()["count"] == 1
    with django_assert_max_num_queries(5):
        assert len(client.get(f"/api/v1/events/{day.pk}/swap/offers").json()) == 10
    with django_assert_max_num_queries(5):
        assert len(client.get(f"/api/v1/events/{day.pk}/swap/wants").json()) == 10
    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/events/{day.pk}/swap/rings").json() == []
