"""Stall bookings, the lottery and the waitlist.

Every write here first locks the event's row (select_for_update), so the bookings of one event
are decided one at a time; the partial unique indexes on StallBooking (one holder per stall, one
live booking per person) would refuse a double booking even if a path forgot the lock.

    first come:  request_stall -> confirmed (a stall was free)  | waitlisted (none was) | 409
    lottery:     request_stall -> requested ... draw_lottery -> confirmed | waitlisted (draw order)
    waitlist:    a holding booking is cancelled (or an offer lapses) -> the first waitlisted person
                 is offered the stall until a deadline -> confirm_offer -> confirmed
                                                        -> deadline passes -> lapsed, next one offered
"""
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from events import attendance, audit, lottery
from events.models import (
    HOLDING_STATUSES,
    LIVE_STATUSES,
    BookingMode,
    BookingStatus,
    EventAuditRecord,
    EventListing,
    EventState,
    Stall,
    StallBooking,
)
from events.permissions import can_organize, can_see_event, require_organizer
from events.services import STALL_KINDS, local_time, lock_event, notification_context
from marketplace.errors import Conflict, DomainError, NotAllowed
from notifications.services import notify

B = BookingStatus


def _lock_booking(booking) -> StallBooking:
    return StallBooking.objects.select_for_update(of=("self",)).select_related("stall").get(pk=booking.pk)


def free_stalls(event) -> list[Stall]:
    """Stalls nobody holds, lowest number first."""
    held = StallBooking.objects.filter(event=event, status__in=HOLDING_STATUSES).values("stall_id")
    return list(Stall.objects.filter(event=event).exclude(pk__in=held).order_by("number"))


def _is_held(stall) -> bool:
    return StallBooking.objects.filter(stall=stall, status__in=HOLDING_STATUSES).exists()


def _next_queue_position(event) -> int:
    last = StallBooking.objects.filter(event=event).aggregate(last=Max("queue_position"))["last"]
    return (last or 0) + 1


def _save_new(booking) -> StallBooking:
    """Insert under a savepoint: should two requests ever get past the event lock together, the
    unique indexes refuse the second and it becomes a clear 409."""
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError:
        raise Conflict(_("Someone else just took this stall or place; try again."), code="stall_taken") from None
    return booking


def _require_can_book(event, actor, now) -> None:
    if not can_see_event(actor, event):
        raise NotAllowed(_("This event is for members of %(org)s only.") % {"org": event.organization.name},
                         code="members_only")
    if event.kind not in STALL_KINDS:
        raise DomainError(_("This event has no stalls to book."), code="no_stalls_for_kind")
    if event.state != EventState.PUBLISHED:
        raise Conflict(_("Stalls can be booked only while the event is published and has not started."),
                       code="registration_closed")
    if now < event.registration_opens_at:
        raise Conflict(_("Stall registration opens at %(time)s.") % {"time": local_time(event, event.registration_opens_at)},
                       code="registration_not_open")
    if now >= event.registration_closes_at:
        raise Conflict(_("Stall registration closed at %(time)s.") % {"time": local_time(event, event.registration_closes_at)},
                       code="registration_closed")


@transaction.atomic
def request_stall(event, *, actor, stall_number=None, join_waitlist=True, note="") -> StallBooking:
    """Book a stall (a given number, or the lowest free one); in a lottery, enter the draw.

    First come: a taken stall named by number is a 409 `stall_taken`; when every stall is taken
    the person joins the waitlist (or gets a 409 `no_stall_free` with join_waitlist=False).
    """
    now = timezone.now()
    event = lock_event(event)
    _require_can_book(event, actor, now)
    if StallBooking.objects.filter(event=event, holder=actor, status__in=LIVE_STATUSES).exists():
        raise Conflict(_("You already have a stall booking or a place on the waitlist for this event."),
                       code="already_booked")
    stall = None
    if stall_number is not None:
        stall = Stall.objects.filter(event=event, number=stall_number).first()
        if stall is None:
            raise DomainError(_("This event has no stall %(number)s.") % {"number": stall_number},
                              code="no_such_stall", field="stall")
    booking = StallBooking(event=event, holder=actor, note=note)
    if event.booking_mode == BookingMode.LOTTERY:
        booking.status, booking.preferred_stall = B.REQUESTED, stall
        _save_new(booking)
    elif stall is not None and _is_held(stall):
        raise Conflict(_("Stall %(number)s is already taken.") % {"number": stall.number}, code="stall_taken",
                       field="stall")
    else:
        stall = stall or next(iter(free_stalls(event)), None)
        if stall is not None:
            booking.status, booking.stall = B.CONFIRMED, stall
            _save_new(booking)
            event_pass = attendance.issue_stall_pass(booking)
            notify(actor, "stall_booked", notification_context(event, stall=stall.number, code=event_pass.display_code))
        elif join_waitlist:
            booking.status, booking.queue_position = B.WAITLISTED, _next_queue_position(event)
            _save_new(booking)
            notify(actor, "stall_waitlisted", notification_context(event, position=booking.queue_position))
        else:
            raise Conflict(_("Every stall is taken."), code="no_stall_free")
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="booking",
                 subject_id=booking.pk, action="request", to_state=booking.status,
                 detail={"stall": stall.number if stall else None})
    return booking


def _offer_deadline(event, now):
    deadline = now + timedelta(hours=settings.EVENTS_OFFER_CONFIRM_HOURS)
    limit = event.starts_at if event.state == EventState.PUBLISHED else event.ends_at
    return min(deadline, limit)


def _promote_next(event, stall, *, actor, now) -> StallBooking | None:
    """Offer `stall` (just freed, event locked) to the first person on the waitlist."""
    if event.state not in (EventState.PUBLISHED, EventState.ONGOING) or now >= event.ends_at:
        return None
    waiting = (
        StallBooking.objects.select_for_update()
        .filter(event=event, status=B.WAITLISTED)
        .order_by("queue_position", "id")
        .first()
    )
    if waiting is None:
        return None
    waiting.status, waiting.stall = B.OFFERED, stall
    waiting.offer_expires_at = _offer_deadline(event, now)
    waiting.status_changed_at = now
    waiting.save(update_fields=["status", "stall", "offer_expires_at", "status_changed_at"])
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="booking",
                 subject_id=waiting.pk, action="offer", from_state=B.WAITLISTED, to_state=B.OFFERED,
                 detail={"stall": stall.number, "expires_at": waiting.offer_expires_at.isoformat()})
    notify(waiting.holder, "stall_offered",
           notification_context(event, stall=stall.number, deadline=local_time(event, waiting.offer_expires_at)))
    return waiting


def fill_free_stalls(event, *, actor) -> int:
    """Offer every free stall to the waitlist, in order (after stalls were added; event locked)."""
    if event.booking_mode == BookingMode.LOTTERY and event.lottery_drawn_at is None:
        return 0
    now, offered = timezone.now(), 0
    for stall in free_stalls(event):
        if _promote_next(event, stall, actor=actor, now=now) is None:
            break
        offered += 1
    return offered


def _release(booking, *, to_status, actor, reason, action) -> Stall | None:
    """Move a locked live booking out of play; returns the stall it freed, if it held one."""
    from_status = booking.status
    freed = booking.stall if from_status in HOLDING_STATUSES else None
    booking.status = to_status
    booking.offer_expires_at = None
    booking.status_changed_at = timezone.now()
    booking.save(update_fields=["status", "offer_expires_at", "status_changed_at"])
    attendance.revoke_pass(booking)
    EventListing.objects.filter(booking=booking).delete()
    audit.record(organization_id=booking.event.organization_id, event_id=booking.event_id, actor=actor,
                 subject="booking", subject_id=booking.pk, action=action, from_state=from_status, to_state=to_status,
                 reason=reason)
    return freed


@transaction.atomic
def cancel_booking(booking, *, actor, reason="") -> StallBooking:
    """The holder gives up a booking, request or waitlist place (an offer too), or the organizer
    cancels it with a reason; a freed stall goes to the next person on the waitlist."""
    event = lock_event(booking.event)
    booking = _lock_booking(booking)
    booking.event = event
    is_holder = actor is not None and actor.pk == booking.holder_id
    if not is_holder and not can_organize(actor, event.organization):
        raise NotAllowed(_("Only the holder or the organizer may cancel this booking."))
    if booking.status not in LIVE_STATUSES:
        raise Conflict(_("This booking is already %(status)s.") % {"status": B(booking.status).label},
                       code="booking_closed")
    if event.state not in (EventState.PUBLISHED, EventState.ONGOING):
        raise Conflict(_("Bookings of a %(state)s event no longer change.") % {"state": EventState(event.state).label},
                       code="event_closed")
    reason = (reason or "").strip()
    if not is_holder and not reason:
        raise DomainError(_("Say why you cancel this booking: the holder is told."), code="reason_required",
                          field="reason")
    freed = _release(booking, to_status=B.CANCELLED, actor=actor, reason=reason, action="cancel")
    if not is_holder:
        notify(booking.holder, "stall_booking_cancelled", notification_context(event, reason=reason))
    if freed is not None:
        _promote_next(event, freed, actor=actor, now=timezone.now())
    return booking


@transaction.atomic
def confirm_offer(booking, *, actor) -> StallBooking:
    """offered -> confirmed, by the person offered the stall, before the deadline."""
    event = lock_event(booking.event)
    booking = _lock_booking(booking)
    if actor is None or actor.pk != booking.holder_id:
        raise NotAllowed(_("Only the person offered this stall may confirm it."))
    if booking.status != B.OFFERED:
        raise Conflict(_("There is no stall offer to confirm on this booking."), code="no_offer")
    if booking.offer_expires_at <= timezone.now():
        raise Conflict(_("The offer ran out at %(time)s.") % {"time": local_time(event, booking.offer_expires_at)},
                       code="offer_expired")
    booking.event = event
    booking.status = B.CONFIRMED
    booking.offer_expires_at = None
    booking.status_changed_at = timezone.now()
    booking.save(update_fields=["status", "offer_expires_at", "status_changed_at"])
    attendance.issue_stall_pass(booking)
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="booking",
                 subject_id=booking.pk, action="confirm", from_state=B.OFFERED, to_state=B.CONFIRMED)
    return booking


@transaction.atomic
def lapse_offer(booking, *, now=None) -> StallBooking | None:
    """offered -> lapsed by the platform once the deadline passed; the stall goes to the next one.
    None when the booking is no longer an expired offer (confirmed or cancelled meanwhile)."""
    now = now or timezone.now()
    event = lock_event(booking.event)
    booking = _lock_booking(booking)
    if booking.status != B.OFFERED or booking.offer_expires_at > now:
        return None
    booking.event = event
    stall = booking.stall
    _release(booking, to_status=B.LAPSED, actor=None, reason=_("Not confirmed in time"), action="lapse")
    notify(booking.holder, "stall_offer_lapsed", notification_context(event, stall=stall.number))
    _promote_next(event, stall, actor=None, now=now)
    return booking


def expire_stall_offers(now=None) -> int:
    """Lapse every offer whose deadline passed (periodic task); one transaction each."""
    now = now or timezone.now()
    due = StallBooking.objects.filter(status=B.OFFERED, offer_expires_at__lte=now).order_by("offer_expires_at", "id")
    return sum(1 for booking in due if lapse_offer(booking, now=now) is not None)


# --- the lottery --------------------------------------------------------------------------------

@transaction.atomic
def draw_lottery(event, *, actor) -> dict:
    """Draw the stalls among the requests made in the window (organizer, or the platform once the
    window has closed); returns the published result (see events.lottery for the algorithm)."""
    if actor is not None:
        require_organizer(actor, event.organization)
    now = timezone.now()
    event = lock_event(event)
    if event.booking_mode != BookingMode.LOTTERY:
        raise Conflict(_("This event books stalls first come, first served: there is nothing to draw."),
                       code="not_a_lottery")
    if event.lottery_drawn_at is not None:
        raise Conflict(_("The lottery has already been drawn."), code="already_drawn")
    if event.state != EventState.PUBLISHED:
        raise Conflict(_("Only the lottery of a published event can be drawn."), code="invalid_state")
    if now < event.registration_closes_at:
        raise Conflict(_("Requests are open until %(time)s: draw after that.")
                       % {"time": local_time(event, event.registration_closes_at)}, code="registration_open")
    entries = {entry.pk: entry for entry in
               StallBooking.objects.select_for_update(of=("self",)).filter(event=event, status=B.REQUESTED)
               .select_related("holder", "preferred_stall")}
    order = lottery.draw_order(event.lottery_seed, entries)
    free = {stall.number: stall for stall in free_stalls(event)}
    winners = min(len(free), len(order))
    assigned = {}
    for rank, entry_id in enumerate(order, start=1):
        entry = entries[entry_id]
        entry.lottery_rank = rank
        entry.status_changed_at = now
        if rank <= winners:
            preferred = entry.preferred_stall
            number = preferred.number if preferred is not None and preferred.number in free else min(free)
            entry.status, entry.stall = B.CONFIRMED, free.pop(number)
            entry.save(update_fields=["status", "stall", "lottery_rank", "status_changed_at"])
            event_pass = attendance.issue_stall_pass(entry)
            notify(entry.holder, "stall_lottery_won",
                   notification_context(event, stall=number, code=event_pass.display_code))
            assigned[str(entry_id)] = number
        else:
            entry.status, entry.queue_position = B.WAITLISTED, rank - winners
            entry.save(update_fields=["status", "queue_position", "lottery_rank", "status_changed_at"])
            notify(entry.holder, "stall_waitlisted", notification_context(event, position=entry.queue_position))
    event.lottery_drawn_at = now
    event.save(update_fields=["lottery_drawn_at", "updated_at"])
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="lottery",
                 subject_id=event.pk, action="draw",
                 detail={"seed": event.lottery_seed, "commitment": event.lottery_commitment, "order": order,
                         "winners": winners, "assigned": assigned})
    return lottery_result(event)


def lottery_result(event) -> dict:
    """What anyone sees of a lottery: the commitment before the draw; after it the seed, every
    entry's ticket, rank and outcome as drawn (entry ids only: each holder knows their own)."""
    result = {"commitment": event.lottery_commitment, "drawn_at": event.lottery_drawn_at, "seed": None,
              "requests": 0, "entries": []}
    if event.lottery_drawn_at is None:
        result["requests"] = StallBooking.objects.filter(event=event, status=B.REQUESTED).count()
        return result
    draw = EventAuditRecord.objects.get(event=event, subject="lottery", action="draw").detail
    result["seed"] = event.lottery_seed
    result["requests"] = len(draw["order"])
    for rank, entry_id in enumerate(draw["order"], start=1):
        entry = {"entry": entry_id, "rank": rank, "ticket": lottery.ticket(event.lottery_seed, entry_id),
                 "stall": draw["assigned"].get(str(entry_id)), "waitlist": None}
        if entry["stall"] is None:
            entry["waitlist"] = rank - draw["winners"]
        result["entries"].append(entry)
    return result
