"""The listing state machine: the one place where Listing.state changes.

    draft ──publish──> active ──reserve──> reserved ──mark_sold──> sold
                        │  ^                  │
                        │  └─────release──────┘
                        ├──mark_sold──> sold          (sold in person without a reservation)
                        ├──withdraw──> withdrawn ──reopen──> draft
                        └──expire───> expired  ───reopen──> draft
    active | reserved ──suspend──> suspended ──reinstate──> the state it was suspended from
                                                           (expired instead of active once past expires_at)

Every change locks the row (select_for_update inside transaction.atomic), re-checks the state
after locking, records one ListingTransition, and sends listings.signals.listing_changed.
Functions return the fresh, locked copy of the listing; callers should use it.

Actors: the seller or an admin of the selling organization moves their own listing; staff
suspend and reinstate for moderation; actor=None means the platform itself (the expiry job,
certification when a certificate lapses, orders reserving stock for a buyer).
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grading.models import Assessment
from listings.models import Listing, ListingState, ListingTransition, SuspensionSource
from listings.permissions import require_manage, require_staff
from listings.rules import enforced_rules, rule_problems
from listings.signals import listing_changed
from marketplace.errors import Conflict, DomainError, NotAllowed
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

# States a suspension may start from (and so the states reinstatement may return to).
SUSPENDABLE = frozenset({S.ACTIVE, S.RESERVED})


def ttl_days() -> int:
    return int(getattr(settings, "LISTING_TTL_DAYS", 60))


def _label(state) -> str:
    return str(ListingState(state).label)


def _illegal(from_state, to_state) -> Conflict:
    return Conflict(
        _("A listing that is %(current)s cannot become %(target)s.")
        % {"current": _label(from_state), "target": _label(to_state)},
        code="invalid_transition",
    )


def _lock(listing) -> Listing:
    return Listing.objects.select_for_update().get(pk=listing.pk)


def _record(listing, *, from_state, actor, reason="", source="", fields=()) -> Listing:
    """Save the changed fields, write the audit record and tell the other apps."""
    listing.state_changed_at = timezone.now()
    listing.save(update_fields=sorted({"state", "state_changed_at", "updated_at", *fields}))
    ListingTransition.objects.create(
        listing=listing, actor=actor, from_state=from_state, to_state=listing.state, reason=reason, source=source
    )
    listing_changed.send(sender=Listing, listing=listing, fields={"state", *fields}, deleted=False)
    return listing


def publish_problems(listing) -> list[str]:
    """Every reason why `listing` may not be published now (empty when it may)."""
    problems = []
    if not listing.photos.filter(ready=True).exists():  # a photo counts once it can be shown
        problems.append(_("Add at least one photo."))
    if not listing.grade_code:
        problems.append(_("Grade the item first: answer the grading questions of its category."))
    elif Assessment.objects.filter(listing=listing, is_current=True).exclude(
        standard__code=listing.category.grading_standard_code
    ).exists():
        # The category changed after grading: a grade of another standard says nothing here.
        problems.append(_("The category changed since the item was graded: grade it again."))
    if listing.organization_id is not None and not listing.organization.is_verified:
        problems.append(
            _("%(org)s must be verified by the platform before it can sell.") % {"org": listing.organization.name}
        )
    problems.extend(rule_problems(listing))
    return problems


def publish_rule_problems_if_on_sale(listing) -> list[str] | None:
    """What the publish rules say against a listing that is on sale or suspended; None otherwise."""
    if listing.state not in (*SUSPENDABLE, S.SUSPENDED):
        return None
    return rule_problems(listing)


def require_rules_still_hold(listing, before: list[str]) -> None:
    """For a listing on sale (or suspended, so it could come back on sale): refuse (409
    `not_publishable`) a change after which a publish rule gives a reason it did not give
    `before` the change. Call after the change is applied to `listing` (in memory or in the
    transaction), before it is committed: raising rolls it back."""
    if listing.state not in (*SUSPENDABLE, S.SUSPENDED):
        return
    new = [reason for reason in rule_problems(listing) if reason not in before]
    if new:
        raise Conflict(
            _("This change is refused: the listing is on sale and would no longer meet the rules. %(reasons)s")
            % {"reasons": " ".join(new)},
            code="not_publishable",
        )


def enforce_rules(listing, *, sources=None, actor=None) -> Listing:
    """Keep the publish rules holding while `listing` is on sale, for the rules registered with
    `enforced_by` (all sources, or those in `sources`): a listing that is active, reserved or
    already suspended and no longer meets the rules of a source is suspended for that source,
    with the rules' reasons (in the seller's language); one held by a source whose rules hold
    again is reinstated for it. Drafts and closed listings are left alone (publishing checks them).
    Call inside the transaction that recorded the change; returns the fresh listing."""
    with transaction.atomic():
        locked = _lock(listing)
        for source, rules in enforced_rules().items():
            if sources is not None and source not in {str(wanted) for wanted in sources}:
                continue
            if locked.state not in (*SUSPENDABLE, S.SUSPENDED):
                break
            with translation.override(locked.seller.language or "zh-hans"):
                problems = rule_problems(locked, rules)
                held = locked.state == S.SUSPENDED and source in locked.suspension_sources
                if problems and not held:
                    reason = _("Taken off sale until this is fixed: %(reasons)s") % {"reasons": " ".join(problems)}
                    locked = suspend(locked, actor=actor, reason=reason, source=source)
                elif held and not problems:
                    locked = reinstate(locked, actor=actor, source=source,
                                       reason=_("Fixed: the listing meets the rules for sale again."))
        return locked


def _authorize(listing, actor, to_state) -> None:
    """Sellers move their own listings; expiry is the platform's. None is the platform itself."""
    if actor is None:
        return
    if to_state == S.EXPIRED:
        raise NotAllowed(_("Listings expire on their own; nobody expires them by hand."))
    require_manage(actor, listing)


def _move(listing, to_state, *, actor, reason="", from_states=None) -> Listing:
    if to_state == S.SUSPENDED:
        return suspend(listing, actor=actor, reason=reason)
    with transaction.atomic():
        locked = _lock(listing)
        _authorize(locked, actor, to_state)
        from_state = locked.state
        if from_state == S.SUSPENDED:
            raise Conflict(
                _("This listing is suspended: it comes back only when the suspension is lifted."),
                code="listing_suspended",
            )
        if to_state not in TRANSITIONS[from_state] or (from_states is not None and from_state not in from_states):
            raise _illegal(from_state, to_state)
        fields = set()
        if from_state == S.DRAFT and to_state == S.ACTIVE:
            problems = publish_problems(locked)
            if problems:
                raise Conflict(" ".join(problems), code="not_publishable")
            now = timezone.now()
            locked.published_at = now
            locked.expires_at = now + timedelta(days=ttl_days())
            fields |= {"published_at", "expires_at"}
        locked.state = to_state
        return _record(locked, from_state=from_state, actor=actor, reason=reason, fields=fields)


def transition(listing, to_state, *, actor, reason="") -> Listing:
    """Move `listing` to `to_state` if the table allows it (409 otherwise) and the actor may (403)."""
    if to_state not in TRANSITIONS:
        raise DomainError(_("Unknown state “%(state)s”.") % {"state": to_state}, code="invalid_state", field="state")
    return _move(listing, to_state, actor=actor, reason=reason)


def publish(listing, *, actor) -> Listing:
    """draft -> active: needs a photo, a grade and every registered publish rule; starts the TTL."""
    return _move(listing, S.ACTIVE, actor=actor, from_states={S.DRAFT})


def reserve(listing, *, actor, reason="") -> Listing:
    return _move(listing, S.RESERVED, actor=actor, reason=reason)


def release(listing, *, actor, reason="") -> Listing:
    """reserved -> active: the buyer stepped back."""
    return _move(listing, S.ACTIVE, actor=actor, reason=reason, from_states={S.RESERVED})


def mark_sold(listing, *, actor, reason="") -> Listing:
    return _move(listing, S.SOLD, actor=actor, reason=reason)


def withdraw(listing, *, actor, reason="") -> Listing:
    return _move(listing, S.WITHDRAWN, actor=actor, reason=reason)


def reopen(listing, *, actor, reason="") -> Listing:
    """withdrawn | expired -> draft: edit it and publish it again (with a fresh TTL)."""
    return _move(listing, S.DRAFT, actor=actor, reason=reason)


def expire(listing, *, now=None) -> Listing | None:
    """active -> expired by the platform, if it is still active and due; None when it no longer is."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(listing)
        if locked.state != S.ACTIVE or locked.expires_at is None or locked.expires_at > now:
            return None
        locked.state = S.EXPIRED
        _record(locked, from_state=S.ACTIVE, actor=None, reason=_("Online for more than %(days)s days") % {"days": ttl_days()})
        notify(locked.seller, "listing_expired", {"title": locked.title, "days": ttl_days()})
        return locked


def _authorize_moderation(actor, source) -> None:
    # Moderation is staff work; other sources (certificate) are decided by the app that calls us.
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
            locked.suspension_sources = [*locked.suspension_sources, source.value]
        elif from_state in SUSPENDABLE:
            locked.suspended_from_state = from_state
            locked.suspension_sources = [source.value]
            locked.state = S.SUSPENDED
        else:
            raise _illegal(from_state, S.SUSPENDED)
        locked.suspension_reason = reason
        _record(
            locked, from_state=from_state, actor=actor, reason=reason, source=source,
            fields={"suspended_from_state", "suspension_sources", "suspension_reason"},
        )
        notify(locked.seller, "listing_suspended", {"title": locked.title, "reason": reason})
        return locked


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
        locked.suspension_sources = remaining
        if remaining:
            locked.suspension_reason = _current_reason(locked, remaining)
        else:
            target = locked.suspended_from_state or S.ACTIVE
            if target == S.ACTIVE and locked.expires_at is not None and locked.expires_at <= timezone.now():
                target = S.EXPIRED
            locked.state = target
            locked.suspended_from_state = ""
            locked.suspension_reason = ""
        _record(
            locked, from_state=S.SUSPENDED, actor=actor, reason=(reason or "").strip(), source=source,
            fields={"suspended_from_state", "suspension_sources", "suspension_reason"},
        )
        if not remaining:
            with translation.override(locked.seller.language or "zh-hans"):
                state_label = _label(locked.state)
            notify(locked.seller, "listing_reinstated", {"title": locked.title, "state": state_label})
        return locked
