"""Grade guarantee (售后): the buyer claims the item is not as graded, the seller answers, a member of
a verified inspection agency or staff decides with the grade report as evidence.

    open ──answer──> answered ──decide──> upheld (refund, full or partial; a full one means the
      │                  │                         item goes back to the seller)
      │                  └───────decide──> rejected
      ├──decide (after ORDERS_CLAIM_ANSWER_DAYS without an answer)──> upheld | rejected
      └──withdraw (also from answered)──> withdrawn

A claim may be opened within ORDERS_CLAIM_DAYS of the hand-over, once per order; while it is open
the order neither completes on its own nor pays the seller out. Every step is one transition.
Photos are checked and cleaned in the request; their thumbnails are made by a task after the
commit (`orders.tasks.make_claim_thumbnail`): until then `thumbnail` is empty.
"""
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.images import clean_upload
from marketplace.tasks import run_after_commit
from marketplace.transitions import lock
from notifications.services import notify
from orders import services, tasks
from orders.models import ActorRole, Claim, ClaimPhoto, ClaimState, ClaimTransition, Order, OrderState
from orders.permissions import acts_for_seller, inspection_agency_ids, is_buyer, is_staff
from orders.transitions import Machine

C = ClaimState
TRANSITIONS = {
    C.OPEN: frozenset({C.ANSWERED, C.UPHELD, C.REJECTED, C.WITHDRAWN}),
    C.ANSWERED: frozenset({C.UPHELD, C.REJECTED, C.WITHDRAWN}),
    C.UPHELD: frozenset(),
    C.REJECTED: frozenset(),
    C.WITHDRAWN: frozenset(),
}
CLAIM = Machine(
    field="state", choices=ClaimState, moves=TRANSITIONS, audit_model=ClaimTransition, owner_field="claim",
    refusal=gettext_lazy("A claim that is “%(current)s” cannot become “%(target)s”."),
)
MAX_PHOTOS = 8


def _context(claim, **extra):
    return {"claim": claim.pk, "order": claim.order_id, "title": claim.order.title, **extra}


def _lock(claim) -> Claim:
    return lock(Claim.objects.select_related("order"), claim.pk)


def _cleaned(photos) -> list:
    """Validate and re-encode the uploads before any row is locked (it takes a while per photo)."""
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_("At most %(max)d photos per claim.") % {"max": MAX_PHOTOS}, code="too_many_photos",
                          field="photos")
    return [clean_upload(uploaded) for uploaded in photos]


def _add_photos(claim, clean_photos, actor) -> list[int]:
    """Store the cleaned photos; their ids, for `_make_thumbnails` once the transaction is over."""
    if claim.photos.count() + len(clean_photos) > MAX_PHOTOS:
        raise DomainError(_("At most %(max)d photos per claim.") % {"max": MAX_PHOTOS}, code="too_many_photos",
                          field="photos")
    stored = []
    for clean in clean_photos:
        photo = ClaimPhoto(claim=claim, uploaded_by=actor, width=clean.width, height=clean.height)
        photo.image.save(clean.original.name, clean.original, save=False)
        try:
            photo.save()
        except Exception:
            # Storage is not transactional: do not leave a file behind that no row points at.
            photo.image.delete(save=False)
            raise
        stored.append(photo.pk)
    return stored


def _make_thumbnails(photo_ids) -> None:
    """Called after the atomic block: the image work never runs under the claim's or order's lock."""
    for photo_id in photo_ids:
        run_after_commit(tasks.make_claim_thumbnail, photo_id)


def open_claim(order, *, actor, description: str, photos) -> Claim:
    """The buyer says the item is not as graded, with photos of it as received."""
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe what is not as graded."), code="description_required", field="description")
    if not photos:
        raise DomainError(_("Add at least one photo of the item as you received it."), code="photos_required",
                          field="photos")
    photos = _cleaned(photos)
    with transaction.atomic():
        order = lock(Order.objects, order.pk)
        if not is_buyer(actor, order):
            raise NotAllowed(_("Only the buyer may open a claim on an order."))
        if order.state not in (OrderState.HANDED_OVER, OrderState.COMPLETED):
            raise Conflict(_("A claim is possible once the item was handed over, and not after a refund."),
                           code="claim_not_possible")
        deadline = order.handed_over_at + timedelta(days=settings.ORDERS_CLAIM_DAYS)
        if timezone.now() > deadline:
            raise Conflict(_("Claims are possible within %(days)s days of the hand-over.")
                           % {"days": settings.ORDERS_CLAIM_DAYS}, code="claim_too_late")
        if Claim.objects.filter(order=order).exists():
            raise Conflict(_("This order already has a claim."), code="claim_exists")
        claim = Claim.objects.create(order=order, buyer=actor, description=description)
        ClaimTransition.objects.create(claim=claim, actor=actor, actor_role=ActorRole.BUYER, from_state="",
                                       to_state=C.OPEN, reason=description)
        photo_ids = _add_photos(claim, photos, actor)
        notify(order.seller, "claim_opened", _context(claim, days=settings.ORDERS_CLAIM_ANSWER_DAYS))
    _make_thumbnails(photo_ids)
    return claim


def add_photos(claim, *, actor, photos) -> Claim:
    photos = _cleaned(photos)
    with transaction.atomic():
        claim = _lock(claim)
        if not is_buyer(actor, claim.order):
            raise NotAllowed(_("Only the buyer adds photos to a claim."))
        if claim.state != C.OPEN:
            raise Conflict(_("Photos can be added while the claim waits for the seller's answer."),
                           code="claim_not_open")
        photo_ids = _add_photos(claim, photos, actor)
    _make_thumbnails(photo_ids)
    return claim


def answer(claim, *, actor, text: str) -> Claim:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write your answer."), code="answer_required", field="text")
    with transaction.atomic():
        claim = _lock(claim)
        if not acts_for_seller(actor, claim.order):
            raise NotAllowed(_("Only the seller answers a claim."))
        claim.seller_answer = text
        claim.answered_by = actor
        claim.answered_at = timezone.now()
        CLAIM.move(claim, C.ANSWERED, actor=actor, role=ActorRole.SELLER, reason=text,
                   fields={"seller_answer", "answered_by", "answered_at"})
        notify(claim.buyer, "claim_answered", _context(claim))
        return claim


def may_decide(user, claim) -> bool:
    """Staff, or a member of a verified inspection agency; never the buyer or the selling side."""
    if user is None or not user.is_authenticated:
        return False
    if is_buyer(user, claim.order) or acts_for_seller(user, claim.order):
        return False
    return is_staff(user) or bool(inspection_agency_ids(user))


def decide(claim, *, actor, upheld: bool, reason: str, refund_amount: Decimal | None = None,
           agency: Organization | None = None) -> Claim:
    """Uphold (refund: the whole order, with the item going back, or a part of it) or reject."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reasons of the decision: both sides see them."), code="reason_required",
                          field="reason")
    with transaction.atomic():
        claim = _lock(claim)
        if not may_decide(actor, claim):
            raise NotAllowed(_("Claims are decided by inspection agencies and platform staff, not by either side."))
        agencies = inspection_agency_ids(actor)
        if agency is not None and agency.pk not in agencies:
            raise NotAllowed(_("You may decide only for an inspection agency you are a member of."))
        decided_for = agency.pk if agency is not None else (agencies[0] if agencies and not is_staff(actor) else None)
        role = ActorRole.INSPECTOR if decided_for else ActorRole.STAFF
        if claim.state == C.OPEN:
            answer_by = claim.created_at + timedelta(days=settings.ORDERS_CLAIM_ANSWER_DAYS)
            if timezone.now() < answer_by:
                raise Conflict(_("The seller has until %(date)s to answer.") % {"date": answer_by.date().isoformat()},
                               code="waiting_for_answer")
        target = C.UPHELD if upheld else C.REJECTED
        if not CLAIM.allows(claim.state, target):
            raise CLAIM.refuse(claim.state, target)
        claim.decided_by = actor
        claim.decided_for_id = decided_for
        claim.decision_reason = reason
        claim.decided_at = timezone.now()
        fields = {"decided_by", "decided_for", "decision_reason", "decided_at"}
        if upheld:
            order = claim.order
            amount = refund_amount if refund_amount is not None else services.refundable(order)
            claim.refund_amount = amount
            claim.return_required = amount == services.refundable(order)
            fields |= {"refund_amount", "return_required"}
            CLAIM.move(claim, target, actor=actor, role=role, reason=reason, fields=fields)
            services.request_refund(order, actor=actor, role=role, claim=claim, amount=amount,
                                    reason=_("Grade claim upheld: %(reason)s") % {"reason": reason})
        else:
            CLAIM.move(claim, target, actor=actor, role=role, reason=reason, fields=fields)
        context = _context(claim, decision=ClaimState(target).label, reason=reason)
        notify(claim.buyer, "claim_decided", context)
        notify(claim.order.seller, "claim_decided", context)
        return claim


def withdraw(claim, *, actor, reason: str = "") -> Claim:
    with transaction.atomic():
        claim = _lock(claim)
        if not is_buyer(actor, claim.order):
            raise NotAllowed(_("Only the buyer withdraws their claim."))
        CLAIM.move(claim, C.WITHDRAWN, actor=actor, role=ActorRole.BUYER,
                   reason=(reason or "").strip() or _("Withdrawn by the buyer."))
        notify(claim.order.seller, "claim_withdrawn", _context(claim))
        return claim
