"""The stall lottery: requests in the window, a draw anyone can recompute from the published seed."""
import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from events import bookings, lottery
from events.models import BookingMode, BookingStatus, Event, StallBooking
from events.schedule import advance_due_events
from tests.events.factories import published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def lottery_market(community, stalls=3):
    return published(stalls=stalls, organization=community, booking_mode=BookingMode.LOTTERY)


def close_window(event):
    Event.objects.filter(pk=event.pk).update(registration_closes_at=timezone.now() - timedelta(seconds=1))
    event.refresh_from_db()


def test_requests_wait_for_the_draw(client_for, community):
    event = lottery_market(community)
    response = client_for(UserFactory()).post(f"/api/v1/events/{event.pk}/bookings", {"stall": 2}, format="json")
    assert response.json()["status"] == "requested" and response.json()["preferred_stall"] == 2
    result = client_for(None).get(f"/api/v1/events/{event.pk}/lottery").json()
    assert result["seed"] is None and result["requests"] == 1 and len(result["commitment"]) == 64


def test_the_draw_waits_for_the_window_to_close(client_for, community, organizer):
    event = lottery_market(community)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/lottery"), 409, "registration_open")


def test_the_published_draw_is_reproducible_from_its_seed(client_for, community, organizer):
    event = lottery_market(community, stalls=3)
    people = [UserFactory() for _ in range(8)]
    for person in people:
        client_for(person).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    commitment = event.lottery_commitment
    close_window(event)
    result = client_for(organizer).post(f"/api/v1/events/{event.pk}/lottery").json()

    # Anyone: the seed matches the commitment published before, and the order follows from it alone.
    assert hashlib.sha256(result["seed"].encode()).hexdigest() == commitment
    entry_ids = sorted(entry["entry"] for entry in result["entries"])
    recomputed = sorted(entry_ids, key=lambda i: (hashlib.sha256(f"{result['seed']}:{i}".encode()).hexdigest(), i))
    assert [entry["entry"] for entry in result["entries"]] == recomputed
    assert [entry["ticket"] for entry in result["entries"]] == [lottery.ticket(result["seed"], i) for i in recomputed]

    winners = [entry for entry in result["entries"] if entry["stall"] is not None]
    assert [entry["rank"] for entry in winners] == [1, 2, 3]
    assert sorted(entry["stall"] for entry in winners) == [1, 2, 3]
    assert [entry["waitlist"] for entry in result["entries"][3:]] == [1, 2, 3, 4, 5]
    for entry in result["entries"]:
        booking = StallBooking.objects.get(pk=entry["entry"])
        expected = BookingStatus.CONFIRMED if entry["stall"] else BookingStatus.WAITLISTED
        assert booking.status == expected and booking.lottery_rank == entry["rank"]
    # The public page says the same afterwards, also after a cancellation changed the bookings.
    first = StallBooking.objects.get(pk=result["entries"][0]["entry"])
    bookings.cancel_booking(first, actor=first.holder)
    assert client_for(None).get(f"/api/v1/events/{event.pk}/lottery").json()["entries"] == result["entries"]


def test_a_different_seed_gives_a_different_order():
    ids = list(range(1, 41))
    assert lottery.draw_order("a" * 64, ids) != lottery.draw_order("b" * 64, ids)
    assert lottery.draw_order("a" * 64, ids) == lottery.draw_order("a" * 64, list(reversed(ids)))


def test_winners_get_their_preferred_stall_when_it_is_free(client_for, community, organizer):
    event = lottery_market(community, stalls=2)
    alice, bob = UserFactory(), UserFactory()
    client_for(alice).post(f"/api/v1/events/{event.pk}/bookings", {"stall": 2}, format="json")
    client_for(bob).post(f"/api/v1/events/{event.pk}/bookings", {"stall": 2}, format="json")
    close_window(event)
    result = bookings.draw_lottery(event, actor=organizer)
    first, second = result["entries"]
    assert first["stall"] == 2 and second["stall"] == 1


def test_the_lottery_is_drawn_once(client_for, community, organizer):
    event = lottery_market(community)
    close_window(event)
    bookings.draw_lottery(event, actor=organizer)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/lottery"), 409, "already_drawn")


def test_only_the_organizer_draws(client_for, community):
    event = lottery_market(community)
    close_window(event)
    assert_error_shape(client_for(UserFactory()).post(f"/api/v1/events/{event.pk}/lottery"), 403)


def test_the_platform_draws_when_the_window_has_closed(client_for, community):
    event = lottery_market(community, stalls=1)
    for _ in range(3):
        client_for(UserFactory()).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    close_window(event)
    assert advance_due_events()["drawn"] == 1
    event.refresh_from_db()
    assert event.lottery_drawn_at is not None
    assert StallBooking.objects.filter(event=event, status=BookingStatus.CONFIRMED).count() == 1
    assert StallBooking.objects.filter(event=event, status=BookingStatus.WAITLISTED).count() == 2
