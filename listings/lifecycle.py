"""The listing state machine: the one place where Listing.state changes.

    draft ──publish──> active ──reserve──> reserved ──mark_sold──> sold
                        │  ^                  │
                        │  └─────release──────┘
                        ├──mark_sold──> sold          (sold in person without a reservation)
                        ├──withdraw──> withdrawn ──reopen──> draft
                        └──expire───> expired  ───reopen──> draft
    active | reserved ──suspend──> suspended ──reinstate──> the state it was suspended from
                                                           (expired instead of active once past expires_at)

Every change locks the row (`marketplace.transitions.lock`: a row another request deleted is a
404), re-checks the state after locking, records one ListingTransition and sends
listings.signals.listing_changed (`marketplace.transitions.StateMachine.apply`). Functions return
the fresh, locked copy of the listing; callers should use it.

Whether a listing may be on sale is answered by listings.eligibility (every rule and source);
this module acts on the answer: `publish` refuses with every reason, and `reevaluate` is the one
call through which other apps report a fact that a source's rules read (it suspends or reinstates
the listing for that source).

Actors: the seller or an admin of the selling organization moves their own listing; staff
suspend and reinstate for moderation; actor=None means the platform itself (the expiry job, rule
enforcement, and orders reserving stock for a buyer with `source=<hold>`).
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grading.models import Assessment, AssessmentSource
from grading.selectors import effective_assessment
from listings import eligibility
from listings.models import Listing, ListingState, ListingTransition, SuspensionSource
from listings.permissions import require_manage, require_staff
from listings.signals import listing_changed
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.transitions import StateMachine, lock
from notifications.services import notify

S = ListingState

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.ACTIVE}),
    S.ACTIVE: frozenset({S.RESERVED, S.SOLD, S.WITHDRAWN, S.EXPIRED, S.SUSPENDED}),
    S.RESERVED: frozenset({S.ACTIVE, S.SOLD, S.SUSPENDED}),
    S.WITHDRAWN: frozenset({S.DRAFT}),
    S.EXPIRED: frozenset({S.DRAFT}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.RESERVED, S.EXPIRED}),
    S.SOLD: frozenset(),
}

MACHINE = StateMachine(
    field="state", choices=ListingState, moves=TRANSITIONS,
    refusal=gettext_lazy("A listing that is %(current)s cannot become %(target)s."),
)

# States a suspension may start from (and so the states reinstatement may return to).
SUSPENDABLE = eligibility.ON_SALE


def ttl_days() -> int:
    return settings.LISTING_TTL_DAYS


def _label(state) -> str:
    return MACHINE.label(state)


def _lock(listing) -> Listing:
    return lock(Listing.objects, listing.pk)


def _apply(locked, to_state, *, actor, reason="", source="", changes=None, then=None) -> Listing:
    """Move the locked listing (the caller checked the move): save, audit, signal, then `then(listing)`."""
    changes = dict(changes or {})

    def audit(from_state):
        ListingTransition.objects.create(
            listing=locked, actor=actor, from_state=from_state, to_state=to_state, reason=reason, source=source
        )

    def signal(listing):
        listing_changed.send(sender=Listing, listing=listing, fields={"state", *changes}, deleted=False)
        if then is not None:
            then(listing)

    now = timezone.now()
    return MACHINE.apply(
        locked, to_state, audit=audit, notify=signal, checked=False,
        changes={**changes, "state_changed_at": now, "updated_at": now},
    )


def _authorize(listing, actor, to_state) -> None:
    """Sellers move their own listings; expiry is the platform's. None is the platform itself."""
    if actor is None:
        return
    if to_state == S.EXPIRED:
        raise NotAllowed(_("Listings expire on their own; nobody expires them by hand."))
    require_manage(actor, listing)


def _move(listing, to_state, *, actor, reason="", source="", from_states=None) -> Listing:
    if to_state == S.SUSPENDED:
        return suspend(listing, actor=actor, reason=reason)
    source = eligibility.require_hold(source)
    with transaction.atomic():
        locked = _lock(listing)
        _authorize(locked, actor, to_state)
        from_state = locked.state
        if from_state == S.SUSPENDED:
            raise Conflict(
                _("This listing is suspended: it comes back only when the suspension is lifted."),
                code="listing_suspended",
            )
        if from_states is not None and from_state not in from_states:
            raise MACHINE.refuse(from_state, to_state)
        MACHINE.check(from_state, to_state)
        changes = {}
        if from_state == S.DRAFT and to_state == S.ACTIVE:
            eligibility.require_publishable(locked)
            now = timezone.now()
            changes = {"published_at": now, "expires_at": now + timedelta(days=ttl_days())}
        return _apply(locked, to_state, actor=actor, reason=reason, source=source, changes=changes)


def transition(listing, to_state, *, actor, reason="") -> Listing:
    """Move `listing` to `to_state` if the table allows it (409 otherwise) and the actor may (403)."""
    if to_state not in TRANSITIONS:
        raise DomainError(_("Unknown state “%(state)s”.") % {"state": to_state}, code="invalid_state", field="state")
    return _move(listing, to_state, actor=actor, reason=reason)


def publish(listing, *, actor) -> Listing:
    """draft -> active: every rule of listings.eligibility must hold (409 `not_publishable` with
    every reason otherwise); starts the TTL."""
    return _move(listing, S.ACTIVE, actor=actor, from_states={S.DRAFT})


def reserve(listing, *, actor, reason="", source="") -> Listing:
    """active -> reserved, by the seller, or by the platform (actor=None) for a hold declared in
    listings.eligibility.HOLDS (`source`, e.g. a checkout)."""
    return _move(listing, S.RESERVED, actor=actor, reason=reason, source=source)


def release(listing, *, actor, reason="", source="") -> Listing:
    """reserved -> active: the buyer stepped back."""
    return _move(listing, S.ACTIVE, actor=actor, reason=reason, source=source, from_states={S.RESERVED})


def mark_sold(listing, *, actor, reason="", source="") -> Listing:
    return _move(listing, S.SOLD, actor=actor, reason=reason, source=source)


def withdraw(listing, *, actor, reason="") -> Listing:
    return _move(listing, S.WITHDRAWN, actor=actor, reason=reason)


def reopen(listing, *, actor, reason="") -> Listing:
    """withdrawn | expired -> draft: edit it and publish it again (with a fresh TTL)."""
    return _move(listing, S.DRAFT, actor=actor, reason=reason)


def expire(listing, *, now=None) -> Listing | None:
    """active -> expired by the platform, if it is still active and due; None when it no longer is."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Listing.objects.select_for_update().filter(pk=listing.pk).first()
        if locked is None or locked.state != S.ACTIVE or locked.expires_at is None or locked.expires_at > now:
            return None
        return _apply(
            locked, S.EXPIRED, actor=None,
            reason=_("Online for more than %(days)s days") % {"days": ttl_days()},
            then=lambda expired: notify(expired.seller, "listing_expired", {"title": expired.title, "days": ttl_days()}),
        )


def _authorize_moderation(actor, source) -> None:
    # Moderation is staff work; the other sources are the platform enforcing listings.eligibility.
    if source == SuspensionSource.MODERATION and actor is not None:
        require_staff(actor)


def _current_reason(listing, sources) -> str:
    last = (
        ListingTransition.objects.filter(listing=listing, to_state=S.SUSPENDED, source__in=sources)
        .order_by("-created_at", "-id")
        .first()
    )
    return last.reason if last else ""


def suspend(listing, *, actor, reason, source=SuspensionSource.MODERATION) -> Listing:
    """Hide an active or reserved listing for `source`; a suspended listing may hold several sources.

    Staff suspend for moderation; the other sources are suspended through `reevaluate`.
    Raises Conflict when the listing is neither active, reserved nor suspended, or is already
    suspended for this source.
    """
    source = SuspensionSource(source)
    _authorize_moderation(actor, source)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the listing is suspended: the seller is told."), code="reason_required", field="reason")
    with transaction.atomic():
        locked = _lock(listing)
        from_state = locked.state
        if from_state == S.SUSPENDED:
            if source in locked.suspension_sources:
                raise Conflict(_("This listing is already suspended for this reason."), code="already_suspended")
            changes = {"suspended_from_state": locked.suspended_from_state,
                       "suspension_sources": [*locked.suspension_sources, source.value]}
        elif from_state in SUSPENDABLE:
            changes = {"suspended_from_state": from_state, "suspension_sources": [source.value]}
        else:
            raise MACHINE.refuse(from_state, S.SUSPENDED)
        return _apply(
            locked, S.SUSPENDED, actor=actor, reason=reason, source=source,
            changes={**changes, "suspension_reason": reason},
            then=lambda suspended: notify(suspended.seller, "listing_suspended", {"title": suspended.title, "reason": reason}),
        )


def reinstate(listing, *, actor, source=SuspensionSource.MODERATION, reason="") -> Listing:
    """Lift the suspension for `source`; once no source remains the listing returns to its former state.

    An active listing whose expires_at passed while suspended comes back expired.
    """
    source = SuspensionSource(source)
    _authorize_moderation(actor, source)
    with transaction.atomic():
        locked = _lock(listing)
        if locked.state != S.SUSPENDED or source not in locked.suspension_sources:
            raise Conflict(_("This listing is not suspended for this reason."), code="not_suspended")
        remaining = [held for held in locked.suspension_sources if held != source]
        if remaining:
            target = S.SUSPENDED
            changes = {"suspended_from_state": locked.suspended_from_state, "suspension_sources": remaining,
                       "suspension_reason": _current_reason(locked, remaining)}
        else:
            target = locked.suspended_from_state or S.ACTIVE
            if target == S.ACTIVE and locked.expires_at is not None and locked.expires_at <= timezone.now():
                target = S.EXPIRED
            changes = {"suspended_from_state": "", "suspension_sources": [], "suspension_reason": ""}
        return _apply(
            locked, target, actor=actor, reason=(reason or "").strip(), source=source, changes=changes,
            then=None if remaining else _tell_reinstated,
        )


def _tell_reinstated(listing) -> None:
    with translation.override(listing.seller.language or "zh-hans"):
        state_label = _label(listing.state)
    notify(listing.seller, "listing_reinstated", {"title": listing.title, "state": state_label})


# Facts reported by other apps: the one call that keeps a source's rules holding.

def _copy_grade(listing) -> set[str]:
    """Listing.grade_code, grade_source and grade_mismatch follow grading's current assessments
    (the inspected grade wins over the declared one). Returns the names of the fields that changed."""
    current = {
        assessment.source: assessment
        for assessment in Assessment.objects.filter(listing=listing, is_current=True).select_related("grade")
    }
    declared, inspected = current.get(AssessmentSource.SELF_DECLARED), current.get(AssessmentSource.INSPECTION)
    effective = effective_assessment(current)
    values = {
        "grade_code": effective.grade.code if effective else "",
        "grade_source": effective.source if effective else "",
        "grade_mismatch": bool(declared and inspected and declared.grade.code != inspected.grade.code),
    }
    changed = {name for name, value in values.items() if getattr(listing, name) != value}
    if changed:
        for name in changed:
            setattr(listing, name, values[name])
        listing.save(update_fields=sorted({*changed, "updated_at"}))
    return changed


# What a source's report first brings up to date on the listing itself, before its rules run.
_COPIES = {eligibility.GRADING: _copy_grade}


def reevaluate(listing, source, *, actor=None, reason="", fields=()) -> Listing:
    """Report that a fact the rules of `source` read has changed (an assessment, a certificate's
    status, a unit's final test, a data-erasure record...), and keep those rules holding.

    The listing's own copy of the source's facts is refreshed (grading: the grade fields) and
    listeners are told about it and about `fields` (what else changed for search, e.g.
    "certification"). Then, for a listing on sale or suspended: one that breaks a rule of
    `source` is suspended for it (by `actor`, None: the platform) with the rules' reasons in the
    seller's language; one held by `source` whose rules all hold again is reinstated for it
    (`reason`, if given, says why in the audit). Drafts and closed listings are left alone
    (publishing checks them). Call inside the transaction that recorded the fact; returns the
    fresh listing.
    """
    source = eligibility.require_enforced(source)
    with transaction.atomic():
        locked = _lock(listing)
        copy = _COPIES.get(source)
        changed = set(fields) | (copy(locked) if copy else set())
        if changed:
            listing_changed.send(sender=Listing, listing=locked, fields=changed, deleted=False)
        if locked.state not in eligibility.WATCHED:
            return locked
        held = locked.state == S.SUSPENDED and source in locked.suspension_sources
        with translation.override(locked.seller.language or "zh-hans"):
            found = eligibility.problems(locked, sources={source})
            if found and not held:
                reasons = " ".join(problem.message for problem in found)
                return suspend(locked, actor=actor, source=source,
                               reason=_("Taken off sale until this is fixed: %(reasons)s") % {"reasons": reasons})
            if held and not found:
                return reinstate(locked, actor=actor, source=source,
                                 reason=reason or _("Fixed: the listing meets the rules for sale again."))
        return locked


def reevaluate_many(listing_ids, source, *, actor=None, reason="") -> list[Listing]:
    """`reevaluate` each of these listings (e.g. every listing relying on a certificate), locked
    one at a time in id order; listings that neither are nor can come back on sale are skipped
    unless the source copies facts onto the listing itself."""
    source = eligibility.require_enforced(source)
    candidates = Listing.objects.filter(pk__in=list(listing_ids))
    if source not in _COPIES:
        candidates = candidates.filter(state__in=eligibility.WATCHED)
    ids = list(candidates.order_by("pk").values_list("pk", flat=True))
    return [reevaluate(Listing(pk=pk), source, actor=actor, reason=reason) for pk in ids]
