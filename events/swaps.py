"""Swap mode of a book share day: offers, wants, mutual pairs, ring matching and confirmation.

Students and teachers of the school list the books they offer and the ones they want for a
share day. Anyone sees their mutual pairs (two people each offering what the other wants). The
organizer runs the matching (events.matching) over the open offers and wants of everyone not
already in a proposed ring; each ring found is proposed to its members, who each confirm; once
all have confirmed the ring is fixed (their offers are exchanged, their wants fulfilled); if one
declines, the ring is dissolved and its books go back to the pool.

Every change to a share day's offers, wants and rings takes the share day's lock first (the row of
the event), the lock a matching run holds from reading the pool to proposing its rings: a book
listed or withdrawn while the solver runs waits for the run, then sees its rings.
"""
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events import audit, matching
from events.books import credits_for, record_book
from events.models import (
    EventKind,
    EventState,
    OfferStatus,
    RingStatus,
    SwapMatchingRun,
    SwapOffer,
    SwapRing,
    SwapRingLink,
    SwapWant,
    WantStatus,
)
from events.permissions import require_campus_member, require_organizer
from events.services import lock_event, notification_context
from marketplace.errors import Conflict, DomainError, NotAllowed
from notifications.services import notify

OPEN_STATES = (EventState.PUBLISHED, EventState.ONGOING)


def _require_open(event) -> None:
    if event.state not in OPEN_STATES:
        raise Conflict(_("This share day is not open for swaps."), code="event_closed")


def _require_share_day(event, actor) -> None:
    if event.kind != EventKind.BOOK_SWAP:
        raise DomainError(_("Books are swapped at book share days only."), code="not_a_share_day")
    require_campus_member(actor, event.organization)
    _require_open(event)


@transaction.atomic
def add_offer(event, *, actor, isbn, grade="", **description) -> SwapOffer:
    event = lock_event(event)
    _require_share_day(event, actor)
    if grade:
        credits_for(grade)  # the same grades as the corners take
    record = record_book(isbn=isbn, actor=actor, **description)
    offer = SwapOffer.objects.create(event=event, member=actor, record=record, condition=grade)
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="offer",
                 subject_id=offer.pk, action="create", to_state=OfferStatus.OPEN)
    return offer


@transaction.atomic
def withdraw_offer(offer, *, actor) -> SwapOffer:
    lock_event(offer.event)  # waits for a matching run that may be putting this book in a ring
    offer = SwapOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.member_id != actor.pk:
        raise NotAllowed(_("Only the student who offered this book may withdraw it."))
    if offer.status != OfferStatus.OPEN:
        raise Conflict(_("This book is in a swap ring or already exchanged; decline the ring first."),
                       code="offer_not_open")
    offer.status = OfferStatus.WITHDRAWN
    offer.save(update_fields=["status"])
    audit.record(organization_id=offer.event.organization_id, event_id=offer.event_id, actor=actor, subject="offer",
                 subject_id=offer.pk, action="withdraw", from_state=OfferStatus.OPEN, to_state=OfferStatus.WITHDRAWN)
    return offer


@transaction.atomic
def add_want(event, *, actor, isbn, **description) -> SwapWant:
    event = lock_event(event)  # two submissions of one wish at once: the second sees the first
    _require_share_day(event, actor)
    record = record_book(isbn=isbn, actor=actor, **description)
    already = Conflict(_("This book is already on your list."), code="already_wanted")
    if SwapWant.objects.filter(event=event, member=actor, record=record, status=WantStatus.OPEN).exists():
        raise already
    try:
        with transaction.atomic():
            want = SwapWant.objects.create(event=event, member=actor, record=record)
    except IntegrityError:  # one_open_want_per_book, should a write ever skip the lock
        raise already from None
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="want",
                 subject_id=want.pk, action="create", to_state=WantStatus.OPEN)
    return want


@transaction.atomic
def withdraw_want(want, *, actor) -> SwapWant:
    lock_event(want.event)  # waits for a matching run that may be putting this wish in a ring
    want = SwapWant.objects.select_for_update().get(pk=want.pk)
    if want.member_id != actor.pk:
        raise NotAllowed(_("Only the student who wants this book may take it off the list."))
    if want.status != WantStatus.OPEN:
        raise Conflict(_("This wish is no longer open."), code="want_not_open")
    if SwapRingLink.objects.filter(want=want, ring__status=RingStatus.PROPOSED).exists():
        raise Conflict(_("This wish is part of a proposed swap ring; decline the ring first."), code="want_in_ring")
    want.status = WantStatus.WITHDRAWN
    want.save(update_fields=["status"])
    audit.record(organization_id=want.event.organization_id, event_id=want.event_id, actor=actor, subject="want",
                 subject_id=want.pk, action="withdraw", from_state=WantStatus.OPEN, to_state=WantStatus.WITHDRAWN)
    return want


def _busy_members(event) -> set[int]:
    """Members already in a proposed ring: they answer that one before joining another."""
    return set(
        SwapRingLink.objects.filter(ring__event=event, ring__status=RingStatus.PROPOSED).values_list("giver_id", flat=True)
    )


def pool(event) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """The open offers and wants of members not in a proposed ring, as (id, member, isbn)."""
    busy = _busy_members(event)
    offers = [row for row in SwapOffer.objects.filter(event=event, status=OfferStatus.OPEN)
              .values_list("pk", "member_id", "record__isbn") if row[1] not in busy]
    wants = [row for row in SwapWant.objects.filter(event=event, status=WantStatus.OPEN)
             .values_list("pk", "member_id", "record__isbn") if row[1] not in busy]
    return offers, wants


def mutual_pairs(event, member) -> list[dict]:
    """People with whom `member` could swap one for one: each offers a book the other wants."""
    offers, wants = pool(event)
    arcs = matching.arcs_from(offers, wants)
    return [
        {"partner": receiver, "gives_offer": arc.offer, "receives_offer": arcs[(receiver, member.pk)].offer}
        for (giver, receiver), arc in sorted(arcs.items())
        if giver == member.pk and (receiver, member.pk) in arcs
    ]


def _still_open(rings):
    """The rings whose offers and wants are all still open, those rows locked until the run commits.
    Whatever changes them takes the share day's lock first, so the pool the solver read is still
    the pool; this is the guard that a ring never gives away a withdrawn book nor fulfils a
    withdrawn wish."""
    arcs = [arc for ring in rings for arc in ring]
    offers = set(SwapOffer.objects.select_for_update().filter(pk__in=[arc.offer for arc in arcs], status=OfferStatus.OPEN)
                 .values_list("pk", flat=True))
    wants = set(SwapWant.objects.select_for_update().filter(pk__in=[arc.want for arc in arcs], status=WantStatus.OPEN)
                .values_list("pk", flat=True))
    return [ring for ring in rings if all(arc.offer in offers and arc.want in wants for arc in ring)]


def _ring_context(ring, link, received):
    return notification_context(ring.event, gives=link.offer.record.title, receives=received.offer.record.title,
                                size=ring.size)


@transaction.atomic
def run_matching(event, *, actor, max_ring_size=4) -> SwapMatchingRun:
    """Find and propose the rings that move the most books (organizer), next to what pairs alone
    would move. Members already in a proposed ring wait for it to be answered."""
    require_organizer(actor, event.organization)
    event = lock_event(event)
    if event.kind != EventKind.BOOK_SWAP:
        raise DomainError(_("Swap rings are matched at book share days only."), code="not_a_share_day")
    if event.state not in OPEN_STATES:
        raise Conflict(_("This share day is not open for swaps."), code="event_closed")
    if not 2 <= max_ring_size <= 4:
        raise DomainError(_("Rings have 2 to 4 students."), code="invalid_ring_size", field="max_ring_size")
    # The time bound covers everything from reading the pool to the rings found.
    budget = settings.EVENTS_SWAP_SOLVER_SECONDS
    started = time.perf_counter()
    offers, wants = pool(event)
    arcs = matching.arcs_from(offers, wants)
    # Pairs first (quick): the baseline to compare with, and where the ring search starts from.
    pairs_only = matching.solve(arcs, max_size=2, time_limit=budget * 0.2)
    found = pairs_only
    if max_ring_size > 2:
        remaining = max(0.5, budget - (time.perf_counter() - started))
        found = matching.solve(arcs, max_size=max_ring_size, time_limit=remaining, start=pairs_only)
    proposed = _still_open(found.rings)
    run = SwapMatchingRun.objects.create(
        event=event, actor=actor, max_ring_size=max_ring_size,
        participants=len({member for _id, member, _isbn in offers} | {member for _id, member, _isbn in wants}),
        books_moved=sum(len(ring) for ring in proposed), books_moved_pairs_only=pairs_only.books_moved,
        books_bound=found.bound if found.cycles_considered else 0,
        rings_proposed=len(proposed), solver_status=found.status,
        wall_ms=int((time.perf_counter() - started) * 1000),
    )
    rings = SwapRing.objects.bulk_create([SwapRing(event=event, run=run, size=len(ring)) for ring in proposed])
    SwapRingLink.objects.bulk_create([
        SwapRingLink(ring=ring, position=position, giver_id=arc.giver, receiver_id=arc.receiver, offer_id=arc.offer,
                     want_id=arc.want)
        for ring, arcs_of_ring in zip(rings, proposed, strict=True) for position, arc in enumerate(arcs_of_ring)
    ], batch_size=1000)
    ringed = [arc.offer for ring in proposed for arc in ring]
    # Only open offers go into rings (all of them are: _still_open locked them open).
    SwapOffer.objects.filter(pk__in=ringed, status=OfferStatus.OPEN).update(status=OfferStatus.IN_RING)
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="matching",
                 subject_id=run.pk, action="run",
                 detail={"books_moved": run.books_moved, "pairs_only": run.books_moved_pairs_only,
                         "rings": run.rings_proposed, "status": run.solver_status})
    # Hundreds of members may be in rings: they are told by a task once the rings are committed.
    from events.tasks import notify_ring_proposals

    transaction.on_commit(lambda: notify_ring_proposals.delay(run.pk), robust=True)
    return run


def notify_proposals(run_id) -> int:
    """Tell every member of the run's rings still proposed what they give and receive."""
    told = 0
    rings = SwapRing.objects.filter(run_id=run_id, status=RingStatus.PROPOSED).select_related("event__organization")
    for ring in rings:
        links = list(SwapRingLink.objects.filter(ring=ring).select_related("giver", "offer__record").order_by("position"))
        with transaction.atomic():
            for index, link in enumerate(links):
                notify(link.giver, "swap_ring_proposed", _ring_context(ring, link, links[index - 1]))
                told += 1
    return told


def _lock_ring(ring) -> SwapRing:
    """The share day's lock (as everything that changes its offers, wants and rings), then the ring's."""
    lock_event(ring.event)
    return SwapRing.objects.select_for_update(of=("self",)).select_related("event__organization").get(pk=ring.pk)


def _require_books_still_there(ring) -> None:
    """Each giver's book still waits in the ring and each receiver still wants theirs."""
    links = list(SwapRingLink.objects.filter(ring=ring).values_list("offer_id", "want_id"))
    offers = SwapOffer.objects.select_for_update().filter(pk__in=[offer for offer, _want in links],
                                                          status=OfferStatus.IN_RING).values_list("pk", flat=True)
    wants = SwapWant.objects.select_for_update().filter(pk__in=[want for _offer, want in links],
                                                        status=WantStatus.OPEN).values_list("pk", flat=True)
    if len(offers) != len(links) or len(wants) != len(links):
        raise Conflict(_("A book or a wish of this swap ring was withdrawn: the ring cannot be fixed; decline it "
                         "so that the books go back to the pool."), code="ring_out_of_date")


@transaction.atomic
def confirm_ring(ring, *, actor) -> SwapRing:
    """A member of a proposed ring confirms; the last confirmation fixes the ring."""
    ring = _lock_ring(ring)
    link = SwapRingLink.objects.filter(ring=ring, giver=actor).first()
    if link is None:
        raise NotAllowed(_("You are not part of this swap ring."))
    _require_open(ring.event)
    if ring.status != RingStatus.PROPOSED:
        raise Conflict(_("This swap ring is already %(status)s.") % {"status": RingStatus(ring.status).label},
                       code="ring_closed")
    if link.confirmed_at is not None:
        raise Conflict(_("You have already confirmed this swap ring."), code="already_confirmed")
    _require_books_still_there(ring)
    now = timezone.now()
    link.confirmed_at = now
    link.save(update_fields=["confirmed_at"])
    audit.record(organization_id=ring.event.organization_id, event_id=ring.event_id, actor=actor, subject="ring",
                 subject_id=ring.pk, action="confirm", detail={"member": actor.pk})
    if SwapRingLink.objects.filter(ring=ring, confirmed_at__isnull=True).exists():
        return ring
    ring.status, ring.status_changed_at = RingStatus.FIXED, now
    ring.save(update_fields=["status", "status_changed_at"])
    links = list(SwapRingLink.objects.filter(ring=ring).select_related("giver", "offer__record").order_by("position"))
    SwapOffer.objects.filter(pk__in=[item.offer_id for item in links], status=OfferStatus.IN_RING).update(
        status=OfferStatus.EXCHANGED)
    SwapWant.objects.filter(pk__in=[item.want_id for item in links], status=WantStatus.OPEN).update(
        status=WantStatus.FULFILLED)
    audit.record(organization_id=ring.event.organization_id, event_id=ring.event_id, actor=actor, subject="ring",
                 subject_id=ring.pk, action="fix", from_state=RingStatus.PROPOSED, to_state=RingStatus.FIXED)
    for index, item in enumerate(links):
        notify(item.giver, "swap_ring_fixed", _ring_context(ring, item, links[index - 1]))
    return ring


@transaction.atomic
def decline_ring(ring, *, actor, reason="") -> SwapRing:
    """A member of a proposed ring declines it: the ring is dissolved, the books go back to the pool."""
    ring = _lock_ring(ring)
    if not SwapRingLink.objects.filter(ring=ring, giver=actor).exists():
        raise NotAllowed(_("You are not part of this swap ring."))
    _require_open(ring.event)
    if ring.status != RingStatus.PROPOSED:
        raise Conflict(_("This swap ring is already %(status)s.") % {"status": RingStatus(ring.status).label},
                       code="ring_closed")
    ring.status, ring.status_changed_at = RingStatus.DISSOLVED, timezone.now()
    ring.dissolved_reason = (reason or "").strip() or _("A member declined.")
    ring.save(update_fields=["status", "status_changed_at", "dissolved_reason"])
    links = list(SwapRingLink.objects.filter(ring=ring).select_related("giver"))
    SwapOffer.objects.filter(pk__in=[link.offer_id for link in links], status=OfferStatus.IN_RING).update(
        status=OfferStatus.OPEN
    )
    audit.record(organization_id=ring.event.organization_id, event_id=ring.event_id, actor=actor, subject="ring",
                 subject_id=ring.pk, action="dissolve", from_state=RingStatus.PROPOSED, to_state=RingStatus.DISSOLVED,
                 reason=ring.dissolved_reason)
    # Lazy: each member reads the reason in their own language.
    context = notification_context(ring.event, reason=gettext_lazy("A member of your swap ring declined it."))
    for link in links:
        if link.giver_id != actor.pk:
            notify(link.giver, "swap_ring_dissolved", context)
    return ring


def dissolve_proposed_rings(event, *, reason) -> int:
    """The share day is over (finished or cancelled; event locked): rings still waiting for
    confirmations are dissolved and their books are open again, so nothing stays promised."""
    rings = list(SwapRing.objects.select_for_update().filter(event=event, status=RingStatus.PROPOSED))
    if not rings:
        return 0
    now = timezone.now()
    SwapRing.objects.filter(pk__in=[ring.pk for ring in rings]).update(
        status=RingStatus.DISSOLVED, status_changed_at=now, dissolved_reason=str(reason))
    SwapOffer.objects.filter(ring_links__ring__in=rings, status=OfferStatus.IN_RING).update(status=OfferStatus.OPEN)
    for ring in rings:
        audit.record(organization_id=event.organization_id, event_id=event.pk, actor=None, subject="ring",
                     subject_id=ring.pk, action="dissolve", from_state=RingStatus.PROPOSED,
                     to_state=RingStatus.DISSOLVED, reason=str(reason))
    return len(rings)


def rings_of(event, user, *, everyone=False):
    """Rings of the share day: all of them for the organizer, the user's own otherwise."""
    rings = SwapRing.objects.filter(event=event)
    if not everyone:
        rings = rings.filter(Q(links__giver=user) | Q(links__receiver=user)).distinct()
    return rings.prefetch_related("links__giver", "links__receiver", "links__offer__record").order_by("-created_at", "-id")
