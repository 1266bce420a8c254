"""Visitors' RSVPs, passes (QR code and short code), check-in at the entrance and live arrivals.

A pass is issued with every confirmed stall booking and every RSVP. Checking in is one
conditional UPDATE (`... WHERE checked_in_at IS NULL`): when two scanners read the same code at
once, the database lets exactly one of them set it and the other gets 409 `already_checked_in`.
"""
import io
import zoneinfo

import segno
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from events import audit, codes
from events.models import (
    HOLDING_STATUSES,
    EventPass,
    EventState,
    PassKind,
    Rsvp,
    RsvpStatus,
    Stall,
    StallBooking,
)
from events.permissions import can_see_event, require_crew
from events.services import EARLY_START, local_time, lock_event
from marketplace.errors import Conflict, DomainError, NotAllowed


def _new_pass(event_id, holder_id, kind, *, booking=None, rsvp=None) -> EventPass:
    for _attempt in range(8):
        try:
            with transaction.atomic():
                return EventPass.objects.create(event_id=event_id, holder_id=holder_id, kind=kind, booking=booking,
                                                rsvp=rsvp, code=codes.new_code())
        except IntegrityError:
            continue  # the random code was taken (one in 10^12): draw another
    raise RuntimeError("Could not draw a free pass code.")


def issue_stall_pass(booking) -> EventPass:
    """The pass of a booking that just became confirmed."""
    return _new_pass(booking.event_id, booking.holder_id, PassKind.STALL, booking=booking)


def revoke_pass(booking) -> None:
    EventPass.objects.filter(booking=booking, revoked_at__isnull=True).update(revoked_at=timezone.now())


def qr_png(event_pass, *, scale=8) -> bytes:
    """The pass's QR code as a PNG (it carries the event id and the code, see events.codes)."""
    buffer = io.BytesIO()
    segno.make(codes.qr_payload(event_pass.event_id, event_pass.code), error="m").save(
        buffer, kind="png", scale=scale, border=4
    )
    return buffer.getvalue()


# --- RSVPs --------------------------------------------------------------------------------------

@transaction.atomic
def rsvp(event, *, actor) -> Rsvp:
    """Say you are coming; refused (409 `event_full`) once the capacity is reached."""
    event = lock_event(event)
    if not can_see_event(actor, event):
        raise NotAllowed(_("This event is for members of %(org)s only.") % {"org": event.organization.name},
                         code="members_only")
    if event.state not in (EventState.PUBLISHED, EventState.ONGOING):
        raise Conflict(_("Only a published or ongoing event takes RSVPs."), code="event_closed")
    existing = Rsvp.objects.filter(event=event, user=actor).first()
    if existing is not None and existing.status == RsvpStatus.GOING:
        raise Conflict(_("You already said you are coming."), code="already_going")
    if event.capacity is not None:
        going = Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()
        if going >= event.capacity:
            raise Conflict(_("The event is full (%(capacity)s visitors).") % {"capacity": event.capacity},
                           code="event_full")
    from_state = existing.status if existing else ""
    if existing is None:
        existing = Rsvp.objects.create(event=event, user=actor, status=RsvpStatus.GOING)
        _new_pass(event.pk, actor.pk, PassKind.VISITOR, rsvp=existing)
    else:
        existing.status = RsvpStatus.GOING
        existing.save(update_fields=["status", "updated_at"])
        EventPass.objects.filter(rsvp=existing).update(revoked_at=None)
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="rsvp",
                 subject_id=existing.pk, action="going", from_state=from_state, to_state=RsvpStatus.GOING)
    return existing


@transaction.atomic
def cancel_rsvp(event, *, actor) -> Rsvp:
    event = lock_event(event)
    existing = Rsvp.objects.select_for_update().filter(event=event, user=actor).first()
    if existing is None or existing.status != RsvpStatus.GOING:
        raise Conflict(_("You have not said you are coming."), code="not_going")
    existing.status = RsvpStatus.CANCELLED
    existing.save(update_fields=["status", "updated_at"])
    EventPass.objects.filter(rsvp=existing, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="rsvp",
                 subject_id=existing.pk, action="cancel", from_state=RsvpStatus.GOING, to_state=RsvpStatus.CANCELLED)
    return existing


# --- check-in -----------------------------------------------------------------------------------

@transaction.atomic
def check_in(event, *, actor, code) -> EventPass:
    """Check a pass in by its typed code or scanned QR payload, once (members of the organizer)."""
    require_crew(actor, event.organization)
    now = timezone.now()
    open_from = event.starts_at - EARLY_START
    if event.state not in (EventState.PUBLISHED, EventState.ONGOING) or now < open_from:
        raise Conflict(_("Check-in opens at %(time)s, while the event is on.") % {"time": local_time(event, open_from)},
                       code="check_in_closed")
    named_event, bare = codes.normalize(code)
    if named_event is not None and named_event != event.pk:
        raise DomainError(_("This pass is for another event."), code="wrong_event", field="code")
    event_pass = None
    if codes.is_well_formed(bare):
        event_pass = (EventPass.objects.filter(event=event, code=bare)
                      .select_related("holder", "booking__stall").first())
    if event_pass is None:
        raise DomainError(_("No pass for this event has this code."), code="unknown_code", field="code")
    if event_pass.revoked_at is not None:
        raise Conflict(_("This pass was cancelled."), code="pass_revoked")
    claimed = EventPass.objects.filter(pk=event_pass.pk, checked_in_at__isnull=True).update(
        checked_in_at=now, checked_in_by=actor
    )
    if not claimed:
        event_pass.refresh_from_db(fields=["checked_in_at"])
        raise Conflict(_("This pass was already checked in at %(time)s.")
                       % {"time": local_time(event, event_pass.checked_in_at)}, code="already_checked_in")
    event_pass.checked_in_at, event_pass.checked_in_by = now, actor
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="pass",
                 subject_id=event_pass.pk, action="check_in", to_state="checked_in")
    return event_pass


def arrivals(event) -> dict:
    """Who has arrived so far: sellers and visitors expected and arrived, each stall's holder, and
    arrivals per hour in the event's time zone."""
    passes = EventPass.objects.filter(event=event, revoked_at__isnull=True)
    totals = passes.aggregate(
        sellers_expected=Count("pk", filter=Q(kind=PassKind.STALL)),
        sellers_arrived=Count("pk", filter=Q(kind=PassKind.STALL, checked_in_at__isnull=False)),
        visitors_expected=Count("pk", filter=Q(kind=PassKind.VISITOR)),
        visitors_arrived=Count("pk", filter=Q(kind=PassKind.VISITOR, checked_in_at__isnull=False)),
    )
    holder_passes = {
        row["booking__stall_id"]: row["checked_in_at"]
        for row in passes.filter(kind=PassKind.STALL).values("booking__stall_id", "checked_in_at")
    }
    held = set(StallBooking.objects.filter(event=event, status__in=HOLDING_STATUSES).values_list("stall_id", flat=True))
    by_stall = [
        {"stall": number, "booked": stall_id in held, "arrived": holder_passes.get(stall_id) is not None,
         "arrived_at": holder_passes.get(stall_id)}
        for stall_id, number in Stall.objects.filter(event=event).order_by("number").values_list("pk", "number")
    ]
    zone = zoneinfo.ZoneInfo(event.time_zone)
    hours = (
        passes.filter(checked_in_at__isnull=False)
        .annotate(hour=TruncHour("checked_in_at", tzinfo=zone))
        .values("hour")
        .annotate(sellers=Count("pk", filter=Q(kind=PassKind.STALL)), visitors=Count("pk", filter=Q(kind=PassKind.VISITOR)))
        .order_by("hour")
    )
    return {
        "as_of": timezone.now(),
        "sellers": {"expected": totals["sellers_expected"], "arrived": totals["sellers_arrived"]},
        "visitors": {"expected": totals["visitors_expected"], "arrived": totals["visitors_arrived"]},
        "by_stall": by_stall,
        "by_hour": [{"hour": row["hour"], "sellers": row["sellers"], "visitors": row["visitors"]} for row in hours],
    }
