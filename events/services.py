"""The event lifecycle and stall plans: each action runs in one transaction with one audit record.

    draft ──publish──> published ──start──> ongoing ──finish──> finished
                           └──────cancel──> cancelled   (everyone registered is told)

Actors: administrators of the organizing organization run their events; actor=None is the
platform itself (the periodic task that starts and finishes events on time). Bookings, the
lottery and the waitlist live in events.bookings; RSVPs, passes and check-in in events.attendance.
"""
import zoneinfo
from datetime import timedelta
from functools import cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrganizationKind
from events import audit, lottery
from events.models import (
    LIVE_STATUSES,
    BookingMode,
    Event,
    EventKind,
    EventState,
    Rsvp,
    RsvpStatus,
    Stall,
    StallBooking,
    Visibility,
)
from events.permissions import require_can_organize_events, require_organizer
from marketplace.errors import Conflict, DomainError
from marketplace.i18n import localized
from marketplace.transitions import StateMachine, lock
from notifications.services import notify

S = EventState

MACHINE = StateMachine(
    field="state",
    choices=EventState,
    moves={
        S.DRAFT: frozenset({S.PUBLISHED}),
        S.PUBLISHED: frozenset({S.ONGOING, S.CANCELLED}),
        S.ONGOING: frozenset({S.FINISHED}),
        S.FINISHED: frozenset(),
        S.CANCELLED: frozenset(),
    },
    refusal=gettext_lazy("An event that is %(current)s cannot become %(target)s."),
)

# An organizer may open the doors this long before the announced start.
EARLY_START = timedelta(hours=2)
# Kinds whose events have stalls (a stall plan, bookings, the lottery).
STALL_KINDS = (EventKind.FLEA_MARKET, EventKind.TRADING_DAY)
EDITABLE_STATES = (S.DRAFT, S.PUBLISHED)
# Fields that change what a subscribed calendar shows.
CALENDAR_FIELDS = {"title_zh", "title_en", "description_zh", "description_en", "venue_address", "latitude",
                   "longitude", "starts_at", "ends_at", "time_zone"}
# Fixed once the event is published: people booked under these terms.
FIXED_AFTER_PUBLISH = {"kind", "booking_mode", "visibility"}


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def local_time(event, moment) -> str:
    """A moment as people at the venue read it, e.g. "2026-12-20 09:00"."""
    return timezone.localtime(moment, zoneinfo.ZoneInfo(event.time_zone)).strftime("%Y-%m-%d %H:%M")


def event_title(event):
    """The title in whatever language is active when it is rendered (a notification renders it in
    the recipient's language)."""
    return lazy(lambda: localized(event, "title"), str)()


def notification_context(event, **extra) -> dict:
    return {"event": event_title(event), "organization": event.organization.name,
            "starts": local_time(event, event.starts_at), **extra}


def lock_event(event) -> Event:
    """The event's row, locked until the transaction ends (only its own row: the organization stays
    free); an event another request deleted meanwhile (a draft) is a 404."""
    return lock(Event.objects.select_related("organization"), event.pk, of=("self",))


def _label(state) -> str:
    return str(EventState(state).label)


# --- validation ---------------------------------------------------------------------------------

def _validate(organization, fields: dict) -> None:
    """Rules over the event's fields together (the serializer checked each alone)."""
    kind = fields["kind"]
    if fields["ends_at"] <= fields["starts_at"]:
        raise DomainError(_("An event must end after it starts."), code="invalid_schedule", field="ends_at")
    if fields["registration_closes_at"] <= fields["registration_opens_at"]:
        raise DomainError(_("Registration must close after it opens."), code="invalid_schedule",
                          field="registration_closes_at")
    if fields["registration_closes_at"] > fields["ends_at"]:
        raise DomainError(_("Registration cannot stay open after the event has ended."), code="invalid_schedule",
                          field="registration_closes_at")
    if fields["time_zone"] not in _time_zones():
        raise DomainError(_("Unknown time zone “%(zone)s”: use an IANA name such as Asia/Shanghai.")
                          % {"zone": fields["time_zone"]}, code="invalid_time_zone", field="time_zone")
    is_school = organization.kind == OrganizationKind.SCHOOL
    if kind == EventKind.BOOK_SWAP and not is_school:
        raise DomainError(_("Book share days are run by schools."), code="not_a_school", field="kind")
    if fields["visibility"] == Visibility.MEMBERS and not is_school:
        raise DomainError(_("Only campus events (run by a school) may be for members only."),
                          code="members_only_needs_school", field="visibility")
    if fields["booking_mode"] == BookingMode.LOTTERY:
        if kind not in STALL_KINDS:
            raise DomainError(_("Only events with stalls can draw stalls by lottery."), code="lottery_needs_stalls",
                              field="booking_mode")
        if fields["registration_closes_at"] > fields["starts_at"]:
            raise DomainError(_("A lottery is drawn before the event: registration must close by the start."),
                              code="invalid_schedule", field="registration_closes_at")
    corner = fields.get("corner")
    if corner is not None:
        if kind != EventKind.BOOK_SWAP:
            raise DomainError(_("Only book share days are held at a sharing corner."), code="corner_not_allowed",
                              field="corner")
        if corner.organization_id != organization.pk:
            raise DomainError(_("This sharing corner belongs to another school."), code="foreign_corner", field="corner")


DEFAULTS = {
    "title_en": "", "description_zh": "", "description_en": "", "visibility": Visibility.PUBLIC, "capacity": None,
    "booking_mode": BookingMode.FIRST_COME, "corner": None,
}


@transaction.atomic
def create_event(*, actor, organization, **fields) -> Event:
    """A draft event of a verified organizer (acted for by one of its administrators)."""
    require_organizer(actor, organization)
    require_can_organize_events(organization)
    fields = {**DEFAULTS, **fields}
    fields.setdefault("time_zone", timezone.get_default_timezone_name())
    fields.setdefault("registration_opens_at", timezone.now())
    fields.setdefault("registration_closes_at", fields["starts_at"])
    if fields["kind"] == EventKind.BOOK_SWAP:
        fields["visibility"] = Visibility.MEMBERS  # share days are for the school's students and teachers
    _validate(organization, fields)
    event = Event.objects.create(organization=organization, created_by=actor, **fields)
    audit.record(organization_id=organization.pk, event_id=event.pk, actor=actor, subject="event",
                 subject_id=event.pk, action="create", to_state=S.DRAFT)
    return event


@transaction.atomic
def update_event(event, *, actor, **changes) -> Event:
    """Edit a draft or published event; kind, booking mode and visibility are fixed once published."""
    require_organizer(actor, event.organization)
    event = lock_event(event)
    if event.state not in EDITABLE_STATES:
        raise Conflict(_("A %(state)s event can no longer be edited.") % {"state": _label(event.state)},
                       code="not_editable")
    if changes.get("kind", event.kind) == EventKind.BOOK_SWAP:
        changes["visibility"] = Visibility.MEMBERS  # as create_event: share days are for the school's own
    changed = {name for name, value in changes.items() if getattr(event, name) != value}
    fixed = sorted(changed & FIXED_AFTER_PUBLISH) if event.state != S.DRAFT else []
    if fixed:
        raise Conflict(_("%(fields)s cannot change once the event is published.") % {"fields": ", ".join(fixed)},
                       code="fixed_after_publish")
    if not changed:
        return event
    fields = {name: getattr(event, name) for name in
              ("kind", "starts_at", "ends_at", "registration_opens_at", "registration_closes_at", "time_zone",
               "visibility", "booking_mode", "corner")}
    fields.update({name: changes[name] for name in changed if name in fields})
    _validate(event.organization, fields)
    if "capacity" in changed and changes["capacity"] is not None:
        going = Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).count()
        if changes["capacity"] < going:
            raise Conflict(_("%(count)s visitors already said they are coming: the capacity cannot go below that.")
                           % {"count": going}, code="capacity_below_rsvps", field="capacity")
    for name in changed:
        setattr(event, name, changes[name])
    update_fields = set(changed) | {"updated_at"}
    if changed & CALENDAR_FIELDS:
        event.sequence += 1
        update_fields.add("sequence")
    event.save(update_fields=sorted(update_fields))
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="event",
                 subject_id=event.pk, action="update", detail={"fields": sorted(changed)})
    return event


@transaction.atomic
def delete_draft(event, *, actor) -> None:
    require_organizer(actor, event.organization)
    event = lock_event(event)
    if event.state != S.DRAFT:
        raise Conflict(_("Only a draft can be deleted; cancel a published event instead."), code="not_a_draft")
    event.delete()


# --- the lifecycle ------------------------------------------------------------------------------

def _transition(event, to_state, *, actor, reason="", fields=()) -> Event:
    """Move a locked event through MACHINE (409 `invalid_transition` otherwise) with its audit record;
    `fields` are other fields the caller already set on the event."""
    now = timezone.now()
    changes = {name: getattr(event, name) for name in fields}
    changes.update(state_changed_at=now, sequence=event.sequence + 1, updated_at=now)
    return MACHINE.apply(
        event, to_state, changes=changes,
        audit=lambda from_state: audit.record(
            organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="event",
            subject_id=event.pk, action=to_state, from_state=from_state, to_state=to_state, reason=reason,
        ),
    )


def _authorize(event, actor) -> None:
    if actor is not None:
        require_organizer(actor, event.organization)


@transaction.atomic
def publish_event(event, *, actor) -> Event:
    """draft -> published: announced, open for RSVPs and (in its window) for stall bookings."""
    _authorize(event, actor)
    event = lock_event(event)
    require_can_organize_events(event.organization)
    if event.state == S.DRAFT and event.starts_at <= timezone.now():
        raise Conflict(_("This event has already started: move its dates before publishing it."),
                       code="starts_in_the_past")
    has_stalls = Stall.objects.filter(event=event).exists()
    if event.state == S.DRAFT and event.kind == EventKind.FLEA_MARKET and not has_stalls:
        raise Conflict(_("A flea market needs a stall plan before it is published."), code="no_stall_plan")
    if event.state == S.DRAFT and event.booking_mode == BookingMode.LOTTERY and not has_stalls:
        raise Conflict(_("A stall lottery needs a stall plan before it is published."), code="no_stall_plan")
    fields = {"published_at"}
    event.published_at = timezone.now()
    if event.booking_mode == BookingMode.LOTTERY:
        # Commit to the seed now; it is revealed with the result (see events.lottery).
        event.lottery_seed = lottery.new_seed()
        event.lottery_commitment = lottery.commitment(event.lottery_seed)
        fields |= {"lottery_seed", "lottery_commitment"}
    return _transition(event, S.PUBLISHED, actor=actor, fields=fields)


@transaction.atomic
def start_event(event, *, actor) -> Event:
    """published -> ongoing: from two hours before the start (by the organizer) or at the start."""
    _authorize(event, actor)
    event = lock_event(event)
    if event.state == S.PUBLISHED and timezone.now() < event.starts_at - EARLY_START:
        raise Conflict(_("It is too early: the event starts at %(starts)s.") % {"starts": local_time(event, event.starts_at)},
                       code="too_early")
    if event.state == S.PUBLISHED and event.booking_mode == BookingMode.LOTTERY and event.lottery_drawn_at is None:
        raise Conflict(_("Draw the stall lottery before the event starts."), code="lottery_not_drawn")
    return _transition(event, S.ONGOING, actor=actor)


@transaction.atomic
def finish_event(event, *, actor) -> Event:
    """ongoing -> finished; swap rings still waiting for confirmations are dissolved."""
    _authorize(event, actor)
    event = _transition(lock_event(event), S.FINISHED, actor=actor)
    _dissolve_proposed_rings(event, reason=_("The share day ended before everyone confirmed."))
    return event


def _dissolve_proposed_rings(event, *, reason) -> None:
    # events.swaps builds on this module (lock_event), hence the import here.
    from events import swaps

    if event.kind == EventKind.BOOK_SWAP:
        swaps.dissolve_proposed_rings(event, reason=reason)


def registered_people(event):
    """Everyone registered: holders of live bookings and visitors going (each once)."""
    from accounts.models import User

    holders = StallBooking.objects.filter(event=event, status__in=LIVE_STATUSES).values("holder_id")
    visitors = Rsvp.objects.filter(event=event, status=RsvpStatus.GOING).values("user_id")
    return User.objects.filter(Q(pk__in=holders) | Q(pk__in=visitors)).order_by("pk")


@transaction.atomic
def cancel_event(event, *, actor, reason) -> Event:
    """published -> cancelled; everyone registered is told why."""
    _authorize(event, actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the event is cancelled: everyone registered is told."), code="reason_required",
                          field="reason")
    event = lock_event(event)
    event.cancel_reason = reason
    event = _transition(event, S.CANCELLED, actor=actor, reason=reason, fields={"cancel_reason"})
    _dissolve_proposed_rings(event, reason=reason)
    context = notification_context(event, reason=reason)
    for person in registered_people(event):
        notify(person, "event_cancelled", context)
    return event


# --- the stall plan -----------------------------------------------------------------------------

@transaction.atomic
def set_stall_plan(event, *, actor, stalls: list[dict]) -> list[Stall]:
    """Replace the stall plan: numbers not named are removed (refused if booked), new ones added,
    named ones updated. Stalls added to a published event go to the waitlist first."""
    require_organizer(actor, event.organization)
    event = lock_event(event)
    if event.kind not in STALL_KINDS:
        raise DomainError(_("Book share days have no stalls."), code="no_stalls_for_kind")
    if event.state not in EDITABLE_STATES:
        raise Conflict(_("The stall plan of a %(state)s event can no longer change.") % {"state": _label(event.state)},
                       code="not_editable")
    numbers = [stall["number"] for stall in stalls]
    if len(set(numbers)) != len(numbers):
        raise DomainError(_("Each stall number may appear once."), code="duplicate_stall_number", field="stalls")
    existing = {stall.number: stall for stall in Stall.objects.filter(event=event)}
    removed = [stall for number, stall in existing.items() if number not in set(numbers)]
    booked = sorted(stall.number for stall in removed if stall.bookings.exists())
    if booked:
        raise Conflict(_("Stalls %(numbers)s have bookings and cannot be removed.")
                       % {"numbers": ", ".join(map(str, booked))}, code="stall_booked", field="stalls")
    Stall.objects.filter(pk__in=[stall.pk for stall in removed]).delete()
    for spec in stalls:
        values = {"size": spec.get("size", ""), "fee": spec.get("fee", 0), "category": spec.get("category"),
                  "note": spec.get("note", "")}
        stall = existing.get(spec["number"])
        if stall is None:
            Stall.objects.create(event=event, number=spec["number"], **values)
        else:
            for name, value in values.items():
                setattr(stall, name, value)
            stall.save()
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="event",
                 subject_id=event.pk, action="stall_plan", detail={"stalls": sorted(numbers)})
    if event.state == S.PUBLISHED:
        from events.bookings import fill_free_stalls

        fill_free_stalls(event, actor=actor)
    return list(Stall.objects.filter(event=event).select_related("category").order_by("number"))

