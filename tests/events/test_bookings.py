"""Stall bookings first come, first served; the waitlist and its promotions; offers that lapse."""
from datetime import timedelta

import pytest
from django.utils import timezone

from events import bookings
from events.models import BookingStatus, EventAuditRecord, EventPass, StallBooking
from notifications.models import Notification
from tests.events.factories import EventFactory, published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def book(client_for, person, event, **body):
    return client_for(person).post(f"/api/v1/events/{event.pk}/bookings", body, format="json")


def offer_after_a_cancellation(client_for, event):
    """The one stall's holder and two waiting people; the holder cancels: (first, second, the
    first's offer)."""
    holder, first, second = UserFactory(), UserFactory(), UserFactory()
    booking_id = book(client_for, holder, event).json()["id"]
    book(client_for, first, event)
    book(client_for, second, event)
    client_for(holder).post(f"/api/v1/events/{event.pk}/bookings/{booking_id}/cancel", {}, format="json")
    return first, second, StallBooking.objects.get(holder=first)


def test_a_resident_books_the_lowest_free_stall_and_gets_a_pass(client_for, community):
    event = published(stalls=3, organization=community)
    resident = UserFactory()
    response = book(client_for, resident, event)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["stall"] == 1
    assert len(body["pass_code"]) == 9 and body["pass_code"][4] == "-"
    assert EventPass.objects.get(booking_id=body["id"]).holder == resident
    assert Notification.objects.filter(recipient=resident, kind="stall_booked").exists()


def test_a_named_stall_that_is_taken_is_a_409(client_for, community):
    event = published(stalls=3, organization=community)
    assert book(client_for, UserFactory(), event, stall=2).json()["stall"] == 2
    assert_error_shape(book(client_for, UserFactory(), event, stall=2), 409, "stall_taken")
    assert_error_shape(book(client_for, UserFactory(), event, stall=9), 400, "no_such_stall")


def test_one_live_booking_per_person(client_for, community):
    event = published(stalls=3, organization=community)
    resident = UserFactory()
    book(client_for, resident, event)
    assert_error_shape(book(client_for, resident, event), 409, "already_booked")


def test_when_every_stall_is_taken_people_join_the_waitlist_in_order(client_for, community):
    event = published(stalls=1, organization=community)
    book(client_for, UserFactory(), event)
    first, second = UserFactory(), UserFactory()
    assert book(client_for, first, event).json()["status"] == "waitlisted"
    waiting = StallBooking.objects.get(event=event, holder=first)
    assert waiting.status == BookingStatus.WAITLISTED and waiting.queue_position == 1
    assert book(client_for, second, event).json()["queue_position"] == 2
    assert_error_shape(book(client_for, UserFactory(), event, join_waitlist=False), 409, "no_stall_free")


def test_registration_window_is_enforced(client_for, community):
    later = EventFactory(organization=community, state="published",
                         registration_opens_at=timezone.now() + timedelta(days=1))
    assert_error_shape(book(client_for, UserFactory(), later), 409, "registration_not_open")
    closed = EventFactory(organization=community, state="published",
                          registration_opens_at=timezone.now() - timedelta(days=3),
                          registration_closes_at=timezone.now() - timedelta(days=1))
    assert_error_shape(book(client_for, UserFactory(), closed), 409, "registration_closed")
    draft = EventFactory(organization=community)
    assert book(client_for, UserFactory(), draft).status_code == 404


def test_a_cancellation_offers_the_stall_to_the_first_on_the_waitlist(client_for, community, settings):
    settings.EVENTS_OFFER_CONFIRM_HOURS = 24
    event = published(stalls=1, organization=community)
    holder, first, second = UserFactory(), UserFactory(), UserFactory()
    booking_id = book(client_for, holder, event).json()["id"]
    book(client_for, first, event)
    book(client_for, second, event)
    response = client_for(holder).post(f"/api/v1/events/{event.pk}/bookings/{booking_id}/cancel", {}, format="json")
    assert response.json()["status"] == "cancelled"
    assert EventPass.objects.get(booking_id=booking_id).revoked_at is not None
    offered = StallBooking.objects.get(event=event, holder=first)
    assert offered.status == BookingStatus.OFFERED and offered.stall.number == 1
    assert timedelta(hours=23) < offered.offer_expires_at - timezone.now() <= timedelta(hours=24)
    assert Notification.objects.filter(recipient=first, kind="stall_offered").exists()
    assert StallBooking.objects.get(event=event, holder=second).status == BookingStatus.WAITLISTED
    confirmed = client_for(first).post(f"/api/v1/events/{event.pk}/bookings/{offered.pk}/confirm").json()
    assert confirmed["status"] == "confirmed" and confirmed["stall"] == 1 and confirmed["pass_code"]


def test_the_offer_deadline_never_runs_past_the_start(client_for, community):
    event = published(stalls=1, organization=community, starts_at=timezone.now() + timedelta(hours=3),
                      registration_closes_at=timezone.now() + timedelta(hours=2))
    holder, waiting = UserFactory(), UserFactory()
    booking_id = book(client_for, holder, event).json()["id"]
    book(client_for, waiting, event)
    client_for(holder).post(f"/api/v1/events/{event.pk}/bookings/{booking_id}/cancel", {}, format="json")
    assert StallBooking.objects.get(holder=waiting).offer_expires_at == event.starts_at


def test_an_offer_not_confirmed_in_time_goes_to_the_next_person(client_for, community):
    event = published(stalls=1, organization=community)
    first, second, offer = offer_after_a_cancellation(client_for, event)
    assert bookings.expire_stall_offers() == 0  # not due yet
    later = offer.offer_expires_at + timedelta(seconds=1)
    assert bookings.expire_stall_offers(now=later) == 1
    offer.refresh_from_db()
    assert offer.status == BookingStatus.LAPSED
    assert StallBooking.objects.get(holder=second).status == BookingStatus.OFFERED
    assert Notification.objects.filter(recipient=first, kind="stall_offer_lapsed").exists()
    actions = list(EventAuditRecord.objects.filter(event=event, subject="booking").values_list("action", flat=True))
    assert actions.count("lapse") == 1 and actions.count("offer") == 2


def test_an_expired_offer_cannot_be_confirmed(client_for, community):
    event = published(stalls=1, organization=community)
    holder, first = UserFactory(), UserFactory()
    booking_id = book(client_for, holder, event).json()["id"]
    book(client_for, first, event)
    client_for(holder).post(f"/api/v1/events/{event.pk}/bookings/{booking_id}/cancel", {}, format="json")
    offer = StallBooking.objects.get(holder=first)
    StallBooking.objects.filter(pk=offer.pk).update(offer_expires_at=timezone.now() - timedelta(minutes=1))
    assert_error_shape(client_for(first).post(f"/api/v1/events/{event.pk}/bookings/{offer.pk}/confirm"), 409,
                       "offer_expired")


def test_only_the_holder_or_the_organizer_cancels_and_the_organizer_gives_a_reason(client_for, community, organizer):
    event = published(stalls=2, organization=community)
    holder = UserFactory()
    booking_id = book(client_for, holder, event).json()["id"]
    path = f"/api/v1/events/{event.pk}/bookings/{booking_id}/cancel"
    assert_error_shape(client_for(UserFactory()).post(path, {}, format="json"), 403)
    assert_error_shape(client_for(organizer).post(path, {}, format="json"), 400, "reason_required")
    assert client_for(organizer).post(path, {"reason": "摊主未交押金"}, format="json").status_code == 200
    note = Notification.objects.get(recipient=holder, kind="stall_booking_cancelled")
    assert "摊主未交押金" in note.body
    assert_error_shape(client_for(holder).post(path, {}, format="json"), 409, "booking_closed")


def test_stalls_added_to_a_published_plan_go_to_the_waitlist(client_for, community, organizer):
    event = published(stalls=1, organization=community)
    book(client_for, UserFactory(), event)
    waiting = UserFactory()
    book(client_for, waiting, event)
    response = client_for(organizer).put(f"/api/v1/events/{event.pk}/stalls",
                                         {"stalls": [{"number": 1}, {"number": 2, "size": "3x2 m", "fee": "20.00"}]},
                                         format="json")
    assert response.status_code == 200, response.content
    assert [stall["booked"] for stall in response.json()] == [True, True]
    assert StallBooking.objects.get(holder=waiting).status == BookingStatus.OFFERED


def test_a_booked_stall_cannot_be_removed_from_the_plan(client_for, community, organizer):
    event = published(stalls=2, organization=community)
    book(client_for, UserFactory(), event, stall=2)
    response = client_for(organizer).put(f"/api/v1/events/{event.pk}/stalls", {"stalls": [{"number": 1}]}, format="json")
    assert_error_shape(response, 409, "stall_booked")
    response = client_for(organizer).put(f"/api/v1/events/{event.pk}/stalls",
                                         {"stalls": [{"number": 1}, {"number": 1}]}, format="json")
    assert_error_shape(response, 400, "duplicate_stall_number")


def test_book_swap_days_have_no_stalls(client_for, school, school_admin):
    from tests.events.factories import share_day, student

    event = share_day(school)
    assert_error_shape(book(client_for, student(school), event), 400, "no_stalls_for_kind")
    assert_error_shape(client_for(school_admin).put(f"/api/v1/events/{event.pk}/stalls", {"stalls": []}, format="json"),
                       400, "no_stalls_for_kind")


def test_after_the_event_is_cancelled_an_offer_can_neither_be_confirmed_nor_passed_on(client_for, community,
                                                                                       organizer):
    event = published(stalls=1, organization=community)
    first, second, offer = offer_after_a_cancellation(client_for, event)
    cancelled = client_for(organizer).post(f"/api/v1/events/{event.pk}/cancel", {"reason": "暴雨预警"}, format="json")
    assert cancelled.status_code == 200, cancelled.content

    assert_error_shape(client_for(first).post(f"/api/v1/events/{event.pk}/bookings/{offer.pk}/confirm"), 409,
                       "event_closed")
    assert not EventPass.objects.filter(booking=offer, revoked_at__isnull=True).exists()
    assert bookings.expire_stall_offers(now=offer.offer_expires_at + timedelta(seconds=1)) == 1
    assert StallBooking.objects.get(holder=second).status == BookingStatus.WAITLISTED  # nobody offered
