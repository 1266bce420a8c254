"""Visitors' RSVPs against the capacity."""
import pytest

from events.models import EventPass
from tests.events.factories import published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def test_rsvps_stop_at_the_capacity_and_a_cancellation_frees_a_place(client_for, community):
    event = published(organization=community, capacity=2)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    assert client_for(first).post(f"/api/v1/events/{event.pk}/rsvp").status_code == 201
    assert client_for(second).post(f"/api/v1/events/{event.pk}/rsvp").status_code == 201
    assert_error_shape(client_for(third).post(f"/api/v1/events/{event.pk}/rsvp"), 409, "event_full")
    assert client_for(first).delete(f"/api/v1/events/{event.pk}/rsvp").json()["status"] == "cancelled"
    assert client_for(third).post(f"/api/v1/events/{event.pk}/rsvp").status_code == 201
    assert client_for(None).get(f"/api/v1/events/{event.pk}/").json()["going_count"] == 2


def test_coming_back_reuses_the_same_pass(client_for, community):
    event = published(organization=community)
    visitor = UserFactory()
    first = client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp").json()["event_pass"]["code"]
    assert_error_shape(client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp"), 409, "already_going")
    client_for(visitor).delete(f"/api/v1/events/{event.pk}/rsvp")
    again = client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp").json()["event_pass"]["code"]
    assert first == again
    assert EventPass.objects.filter(holder=visitor, revoked_at__isnull=True).count() == 1


def test_rsvp_needs_a_signed_in_visitor_and_a_published_event(client_for, community):
    from tests.events.factories import EventFactory

    event = published(organization=community)
    assert_error_shape(client_for(None).post(f"/api/v1/events/{event.pk}/rsvp"), 401)
    assert_error_shape(client_for(UserFactory()).delete(f"/api/v1/events/{event.pk}/rsvp"), 409, "not_going")
    finished = EventFactory(organization=community, state="finished")
    assert_error_shape(client_for(UserFactory()).post(f"/api/v1/events/{finished.pk}/rsvp"), 409, "event_closed")


def test_the_capacity_cannot_be_lowered_below_the_rsvps(client_for, community, organizer):
    event = published(organization=community, capacity=5)
    for _ in range(3):
        client_for(UserFactory()).post(f"/api/v1/events/{event.pk}/rsvp")
    response = client_for(organizer).patch(f"/api/v1/events/{event.pk}/", {"capacity": 2}, format="json")
    assert_error_shape(response, 409, "capacity_below_rsvps")
