"""Domain actions on orders: each takes the actor and the order, runs in one transaction and records
one transition (orders.transitions) per state change.

    pending_payment ──paid──> paid ──hand_over──> handed_over ──confirm_receipt──> completed
          │                    │                     │    (or complete_due_orders after N days)
          ├──cancel──> cancelled                      │                               │
          └──expire──> expired └──request_refund──> refund_requested <────────────────┘
                                                          └──(Stripe confirms / buyer confirms)──> refunded

A Stripe order is paid when Stripe says so (orders.webhooks); an offline order is paid when the
seller scans the buyer's hand-over code. Stock is taken at checkout and given back or sold through
`listings.stock` (which moves the listing through its lifecycle). Locks are always taken listing
first, then order, so two paths never wait on each other in opposite order. Calls to the payment
provider never run inside a transaction: they happen before it (cancel) or after it (payment,
refund and payout tasks, retried by `retry_payment_calls`).
"""
import hmac
import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from accounts.permissions import has_org_role
from listings import stock
from listings.models import Listing
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.tasks import send_on_commit
from marketplace.transitions import lock
from notifications.services import notify
from orders import handover
from orders.gateways import PaymentUnavailable, gateway_for
from orders.gateways import stripe as stripe_gateway
from orders.models import (
    ActorRole,
    ClaimState,
    ConnectAccount,
    Order,
    OrderState,
    OrderTransition,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from orders.money import PERSON, platform_fee, seller_part
from orders.permissions import acts_for_seller, is_buyer, is_staff, manages_sale, role_of
from orders.transitions import Machine

logger = logging.getLogger("orders")

S = OrderState
TRANSITIONS = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.HANDED_OVER, S.REFUND_REQUESTED}),
    S.HANDED_OVER: frozenset({S.COMPLETED, S.REFUND_REQUESTED}),
    S.COMPLETED: frozenset({S.REFUND_REQUESTED}),
    S.REFUND_REQUESTED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}
ORDER = Machine(
    field="state", choices=OrderState, moves=TRANSITIONS, audit_model=OrderTransition, owner_field="order",
    refusal=gettext_lazy("An order that is “%(current)s” cannot become “%(target)s”."),
)
OPEN_CLAIM = (ClaimState.OPEN, ClaimState.ANSWERED)
UNSETTLED_REFUND = (RefundStatus.PENDING, RefundStatus.SUBMITTED)


def _context(order, **extra):
    return {"order": order.pk, "title": order.title, "total": order.total, **extra}


def notify_staff(kind: str, context: dict) -> None:
    for member in User.objects.filter(is_staff=True, is_active=True):
        notify(member, kind, context)


def reservation_time(method: str) -> timedelta:
    if method == PaymentMethod.OFFLINE:
        return timedelta(hours=settings.ORDERS_OFFLINE_RESERVATION_HOURS)
    return timedelta(minutes=settings.ORDERS_RESERVATION_MINUTES)


def _lock(order) -> Order:
    return lock(Order.objects, order.pk)


def _lock_listing_and_order(order) -> tuple[Listing, Order]:
    listing = lock(Listing.objects, order.listing_id)
    return listing, _lock(order)


def held_units(listing, *, exclude=None) -> int:
    """Units of `listing` held by unpaid checkouts (other than `exclude`)."""
    pending = Order.objects.filter(listing=listing, state=S.PENDING_PAYMENT)
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    return pending.aggregate(units=Sum("quantity"))["units"] or 0


def _require_not_frozen(order) -> None:
    if order.frozen:
        raise Conflict(_("A card dispute is open on this order: nothing changes until it is settled."),
                       code="order_frozen")


# --- payment methods and checkout ---------------------------------------------------------------

def payment_methods(listing) -> list[str]:
    """Methods a buyer may use for `listing`, the preferred one first. Through the platform (held
    until receipt) needs Stripe and a selling organization whose Connect account receives transfers."""
    methods = []
    if stripe_gateway.is_configured() and listing.organization_id is not None and ConnectAccount.objects.filter(
        organization_id=listing.organization_id, transfers_active=True
    ).exists():
        methods.append(PaymentMethod.STRIPE)
    methods.append(PaymentMethod.OFFLINE)
    return methods


def _is_own(buyer, listing) -> bool:
    if listing.seller_id == buyer.pk:
        return True
    return listing.organization_id is not None and has_org_role(buyer, listing.organization_id, Role.MEMBER)


def checkout(*, buyer, listing, quantity: int, payment_method: str | None = None) -> Order:
    """Reserve `quantity` units of `listing` for `buyer` at its price now (409 when they are gone)."""
    if quantity < 1:
        raise DomainError(_("Buy at least one."), code="invalid_quantity", field="quantity")
    methods = payment_methods(listing)
    method = payment_method or methods[0]
    if method not in methods:
        raise DomainError(
            _("This seller cannot be paid this way; choose one of: %(methods)s.")
            % {"methods": ", ".join(str(PaymentMethod(m).label) for m in methods)},
            code="payment_method_unavailable", field="payment_method",
        )
    with transaction.atomic():
        listing = lock(Listing.objects, listing.pk)
        if _is_own(buyer, listing):
            raise NotAllowed(_("You cannot buy your own listing."), code="own_listing")
        listing = stock.reserve(listing, quantity, held=held_units(listing), reason=_("A buyer checked out."))
        total = listing.price * quantity
        seller_kind = listing.organization.kind if listing.organization_id else PERSON
        now = timezone.now()
        order = Order.objects.create(
            buyer=buyer, listing=listing, seller_id=listing.seller_id, organization_id=listing.organization_id,
            title=listing.title, quantity=quantity, unit_price=listing.price, total=total,
            platform_fee=platform_fee(total, seller_kind) if method == PaymentMethod.STRIPE else Decimal("0.00"),
            payment_method=method, reserved_until=now + reservation_time(method), handover_code=handover.new_code(),
        )
        OrderTransition.objects.create(order=order, actor=buyer, actor_role=ActorRole.BUYER, from_state="",
                                       to_state=S.PENDING_PAYMENT, reason=_("Checkout"))
        notify(order.seller, "order_placed", _context(order, method=PaymentMethod(method).label))
    return order


def start_payment(order, *, actor) -> dict:
    """The buyer's payment of a Stripe order: its PaymentIntent (created once, found again after)."""
    if not is_buyer(actor, order):
        raise NotAllowed(_("Only the buyer pays for an order."))
    if order.payment_method != PaymentMethod.STRIPE:
        raise Conflict(_("This order is paid in person at the hand-over."), code="offline_payment")
    if order.state != S.PENDING_PAYMENT:
        raise Conflict(_("This order is no longer waiting for payment."), code="not_pending_payment")
    started = gateway_for(order).start_payment(order)
    if not order.payment_reference:
        with transaction.atomic():
            locked = _lock(order)
            if not locked.payment_reference:
                locked.payment_reference = started.reference
                locked.save(update_fields=["payment_reference", "updated_at"])
            order.payment_reference = locked.payment_reference
    return {"payment_method": order.payment_method, "reference": started.reference,
            "client_secret": started.client_secret}


# --- payment (Stripe, from webhooks) ------------------------------------------------------------

def record_payment(order, *, reference: str, charge_reference: str = "") -> Order:
    """Stripe says the order's PaymentIntent succeeded. Pending: paid, and the units are sold. Ended
    meanwhile (expired, cancelled): the whole payment is refunded. Otherwise nothing changes."""
    with transaction.atomic():
        listing, order = _lock_listing_and_order(order)
        order.payment_reference = order.payment_reference or reference
        order.charge_reference = order.charge_reference or charge_reference
        if order.state == S.PENDING_PAYMENT:
            order.paid_at = timezone.now()
            order.payment_error = ""
            stock.sell(listing, order.quantity, held=held_units(listing, exclude=order),
                       reason=_("Paid through the platform (order %(order)s).") % {"order": order.pk})
            ORDER.move(order, S.PAID, actor=None, role=ActorRole.STRIPE,
                       reason=_("Paid through Stripe; the money is held until the buyer confirms receipt."),
                       fields={"payment_reference", "charge_reference", "paid_at", "payment_error"})
            notify(order.seller, "order_paid", _context(order))
            return order
        order.save(update_fields=["payment_reference", "charge_reference", "updated_at"])
        if order.state in (S.EXPIRED, S.CANCELLED) and not order.refunds.exists():
            refund = Refund.objects.create(
                order=order, amount=order.total, requested_role=ActorRole.PLATFORM,
                reason=_("The payment arrived after the order had ended; it is refunded in full."),
            )
            send_on_commit(_tasks().submit_refund, refund.pk)
            notify(order.buyer, "order_late_payment_refunded", _context(order))
        return order


def record_payment_failure(order, *, message: str) -> Order:
    """Stripe says an attempt to pay failed: the buyer may try again while the reservation holds."""
    with transaction.atomic():
        order = _lock(order)
        if order.state != S.PENDING_PAYMENT:
            return order
        order.payment_error = (message or _("The payment was declined."))[:2000]
        order.save(update_fields=["payment_error", "updated_at"])
        notify(order.buyer, "order_payment_failed", _context(order, error=order.payment_error))
        return order


# --- hand-over and receipt ----------------------------------------------------------------------

def hand_over(order, *, actor, code: str) -> Order:
    """The seller scans or types the buyer's code at the meeting: handed over (and, for an offline
    order, paid). A code works once and only for its order; five wrong codes void it."""
    wrong = False
    with transaction.atomic():
        listing, order = _lock_listing_and_order(order)
        if not acts_for_seller(actor, order):
            raise NotAllowed(_("Only the seller confirms the hand-over."))
        _require_not_frozen(order)
        if order.state in (S.HANDED_OVER, S.COMPLETED):
            raise Conflict(_("This order was already handed over."), code="already_handed_over")
        offline_unpaid = order.state == S.PENDING_PAYMENT and order.payment_method == PaymentMethod.OFFLINE
        if order.state == S.PENDING_PAYMENT and not offline_unpaid:
            raise Conflict(_("Wait for the buyer's payment before handing the item over."), code="not_paid")
        if order.state != S.PAID and not offline_unpaid:
            raise ORDER.refuse(order.state, S.HANDED_OVER)
        if order.handover_attempts >= handover.MAX_ATTEMPTS:
            raise Conflict(_("Too many wrong codes: the buyer must show a new code."), code="code_locked")
        digits = handover.digits_for(order, code)
        if hmac.compare_digest(digits, order.handover_code):
            now = timezone.now()
            if offline_unpaid:
                order.paid_at = now
                stock.sell(listing, order.quantity, held=held_units(listing, exclude=order),
                           reason=_("Sold in person (order %(order)s).") % {"order": order.pk})
                ORDER.move(order, S.PAID, actor=actor, role=ActorRole.SELLER, fields={"paid_at"},
                           reason=_("Paid in person at the hand-over (offline, not through the platform)."))
            order.handed_over_at = now
            ORDER.move(order, S.HANDED_OVER, actor=actor, role=ActorRole.SELLER, fields={"handed_over_at"},
                       reason=_("The buyer's hand-over code was confirmed."))
            notify(order.buyer, "order_handed_over", _context(order, days=settings.ORDERS_AUTO_COMPLETE_DAYS))
        else:
            order.handover_attempts += 1
            order.save(update_fields=["handover_attempts", "updated_at"])
            wrong = True
    if wrong:
        raise DomainError(_("This is not the code of this order."), code="wrong_code", field="code")
    return order


def renew_handover_code(order, *, actor) -> Order:
    """The buyer gets a new code (the old one stops working), e.g. after five wrong tries."""
    with transaction.atomic():
        order = _lock(order)
        if not is_buyer(actor, order):
            raise NotAllowed(_("Only the buyer holds the hand-over code."))
        if order.state not in (S.PENDING_PAYMENT, S.PAID):
            raise Conflict(_("This order needs no hand-over code any more."), code="handover_done")
        order.handover_code = handover.new_code()
        order.handover_attempts = 0
        order.save(update_fields=["handover_code", "handover_attempts", "updated_at"])
        return order


def _has_open_claim(order) -> bool:
    return hasattr(order, "claim") and order.claim.state in OPEN_CLAIM


def _complete(order, *, actor, role, reason) -> Order:
    order.completed_at = timezone.now()
    ORDER.move(order, S.COMPLETED, actor=actor, role=role, reason=reason, fields={"completed_at"})
    if gateway_for(order).holds_funds:
        send_on_commit(_tasks().release_payout, order.pk)
    notify(order.seller, "order_completed", _context(order))
    return order


def confirm_receipt(order, *, actor) -> Order:
    """The buyer has the item as described: completed, and the seller's share is released."""
    with transaction.atomic():
        order = _lock(order)
        if not is_buyer(actor, order):
            raise NotAllowed(_("Only the buyer confirms receipt."))
        _require_not_frozen(order)
        if _has_open_claim(order):
            raise Conflict(_("Withdraw your grade claim first, or wait for its decision."), code="claim_open")
        if order.state != S.HANDED_OVER:
            raise ORDER.refuse(order.state, S.COMPLETED)
        return _complete(order, actor=actor, role=ActorRole.BUYER, reason=_("The buyer confirmed receipt."))


def complete_due_orders(now=None) -> int:
    """Complete orders handed over more than ORDERS_AUTO_COMPLETE_DAYS ago with no open claim."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ORDERS_AUTO_COMPLETE_DAYS)
    due = (Order.objects.filter(state=S.HANDED_OVER, handed_over_at__lte=cutoff, frozen=False)
           .exclude(claim__state__in=OPEN_CLAIM).values_list("pk", flat=True))
    completed = 0
    for pk in list(due):
        with transaction.atomic():
            order = Order.objects.select_for_update().filter(pk=pk).first()
            if (order is None or order.state != S.HANDED_OVER or order.frozen or order.handed_over_at > cutoff
                    or _has_open_claim(order)):
                continue
            _complete(order, actor=None, role=ActorRole.PLATFORM,
                      reason=_("No claim within %(days)s days of the hand-over.")
                      % {"days": settings.ORDERS_AUTO_COMPLETE_DAYS})
            completed += 1
    return completed


# --- cancellation and expiry ----------------------------------------------------------------------

def _make_unpayable(order) -> bool:
    """Cancel the order's payment at the provider (outside any transaction); False when it is under way."""
    return gateway_for(order).cancel_payment(order)


def _end(listing, order, to_state, *, actor, role, reason) -> Order:
    """pending_payment -> cancelled | expired, giving the units back. Caller holds both locks."""
    ORDER.move(order, to_state, actor=actor, role=role, reason=reason)
    stock.give_back(listing, order.quantity, held=held_units(listing),
                    reason=_("A checkout ended unpaid (order %(order)s).") % {"order": order.pk})
    return order


def cancel(order, *, actor, reason: str = "") -> Order:
    """The buyer, the seller or staff call off an unpaid order; its units go back on sale."""
    role = role_of(actor, order)
    if role is None or (role == ActorRole.SELLER and not manages_sale(actor, order)):
        raise NotAllowed(_("Only the buyer, the seller or platform staff may cancel this order."))
    if order.state != S.PENDING_PAYMENT:
        raise ORDER.refuse(order.state, S.CANCELLED)
    if not _make_unpayable(order):
        raise Conflict(_("The payment is already being processed: wait for it, then ask for a refund."),
                       code="payment_in_progress")
    with transaction.atomic():
        listing, order = _lock_listing_and_order(order)
        if order.state != S.PENDING_PAYMENT:
            raise ORDER.refuse(order.state, S.CANCELLED)
        reason = (reason or "").strip() or _("Cancelled before payment.")
        _end(listing, order, S.CANCELLED, actor=actor, role=role, reason=reason)
        other = order.seller if role == ActorRole.BUYER else order.buyer
        notify(other, "order_cancelled", _context(order, reason=reason))
        return order


def expire(order, *, now=None) -> Order | None:
    """pending_payment -> expired once its reservation ran out; None when it is no longer due."""
    now = now or timezone.now()
    with transaction.atomic():
        listing, order = _lock_listing_and_order(order)
        if order.state != S.PENDING_PAYMENT or order.reserved_until > now:
            return None
        _end(listing, order, S.EXPIRED, actor=None, role=ActorRole.PLATFORM,
             reason=_("Not paid before the reservation ended."))
        notify(order.buyer, "order_expired", _context(order))
        return order


def expire_reservations(now=None) -> int:
    """Expire unpaid orders past their reservation. A Stripe payment that cannot be cancelled any more
    (it succeeded or is processing) keeps its order: the webhook decides. Stripe down: next run."""
    now = now or timezone.now()
    expired = 0
    due = Order.objects.filter(state=S.PENDING_PAYMENT, reserved_until__lte=now).order_by("reserved_until", "pk")
    for order in list(due):
        try:
            if not _make_unpayable(order):
                continue
        except PaymentUnavailable as exc:
            logger.warning("Order %s not expired yet: %s", order.pk, exc)
            continue
        if expire(order, now=now) is not None:
            expired += 1
    return expired


# --- refunds --------------------------------------------------------------------------------------

def refundable(order) -> Decimal:
    return order.total - order.amount_refunded


def request_refund(order, *, actor, reason: str, amount: Decimal | None = None, claim=None, role=None) -> Refund:
    """Give money back to the buyer: all of it before the hand-over, all or part after it.

    Through Stripe the refund is sent after commit and confirmed by `charge.refunded`; if the
    seller's share was already paid out, the seller's part of the refund is taken back from it
    (a transfer reversal). Offline, the seller pays back in person and the buyer confirms it.
    `role` is given by a claim decision (orders.claims), which authorizes the refund itself."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the money is given back: the buyer is told."), code="reason_required",
                          field="reason")
    with transaction.atomic():
        order = _lock(order)
        if role is None:
            if is_staff(actor):
                role = ActorRole.STAFF
            elif manages_sale(actor, order):
                role = ActorRole.SELLER
            else:
                raise NotAllowed(_("Only the seller or platform staff may refund an order."))
        _require_not_frozen(order)
        if order.state not in (S.PAID, S.HANDED_OVER, S.COMPLETED):
            raise ORDER.refuse(order.state, S.REFUND_REQUESTED)
        left = refundable(order)
        amount = left if amount is None else amount
        if amount <= 0 or amount > left:
            raise DomainError(_("Refund between ¥0.01 and ¥%(left)s.") % {"left": left}, code="invalid_amount",
                              field="amount")
        if order.state == S.PAID and amount != left:
            raise DomainError(_("Before the hand-over the sale is called off: refund the whole order."),
                              code="partial_before_handover", field="amount")
        refund = Refund.objects.create(
            order=order, amount=amount, reason=reason, requested_by=actor if actor else None, requested_role=role,
            claim=claim, reversal_amount=_reversal_for(order, amount),
        )
        ORDER.move(order, S.REFUND_REQUESTED, actor=actor, role=role, reason=reason)
        if gateway_for(order).holds_funds:
            send_on_commit(_tasks().submit_refund, refund.pk)
            notify(order.buyer, "order_refund_requested", _context(order, amount=amount, reason=reason))
        else:
            notify(order.buyer, "order_refund_due_offline", _context(order, amount=amount, reason=reason))
        return refund


def _reversal_for(order, amount) -> Decimal:
    """The seller's part of a refund, when their share has already left (or is leaving) the platform."""
    if order.payout_amount is None:
        return Decimal("0.00")
    taken = order.refunds.aggregate(total=Sum("reversal_amount"))["total"] or Decimal("0.00")
    part = seller_part(amount, seller_amount=order.seller_amount, total=order.total)
    return max(min(part, order.payout_amount - taken), Decimal("0.00"))


def confirm_offline_refund(order, *, actor) -> Order:
    """Offline: the buyer (or staff) confirms the seller paid the money back in person."""
    with transaction.atomic():
        order = _lock(order)
        if not (is_buyer(actor, order) or is_staff(actor)):
            raise NotAllowed(_("Only the buyer (or platform staff) confirms that the money came back."))
        if order.payment_method != PaymentMethod.OFFLINE:
            raise Conflict(_("Refunds through the platform are confirmed by the payment provider."),
                           code="not_offline")
        if order.state != S.REFUND_REQUESTED:
            raise ORDER.refuse(order.state, S.REFUNDED)
        now = timezone.now()
        due = list(order.refunds.filter(status__in=UNSETTLED_REFUND))
        for refund in due:
            refund.status = RefundStatus.SUCCEEDED
            refund.settled_at = now
            refund.save(update_fields=["status", "settled_at"])
        order.amount_refunded += sum((refund.amount for refund in due), Decimal("0.00"))
        role = ActorRole.BUYER if is_buyer(actor, order) else ActorRole.STAFF
        ORDER.move(order, S.REFUNDED, actor=actor, role=role, fields={"amount_refunded"},
                   reason=_("The money was paid back in person."))
        notify(order.seller, "order_refunded", _context(order, amount=order.amount_refunded))
        return order


def submit_refund(refund_id: int) -> Refund | None:
    """Send a pending refund to the provider (idempotent; retried until it is sent)."""
    refund = Refund.objects.select_related("order").filter(pk=refund_id, status=RefundStatus.PENDING).first()
    if refund is None:
        return None
    order = refund.order
    try:
        result = gateway_for(order).refund(order, refund)
    except PaymentUnavailable as exc:
        Refund.objects.filter(pk=refund.pk).update(attempts=refund.attempts + 1, last_error=str(exc.message)[:2000])
        raise
    with transaction.atomic():
        refund = lock(Refund.objects, refund.pk)
        if refund.status == RefundStatus.PENDING:
            refund.status = RefundStatus.SUCCEEDED if result.settled else RefundStatus.SUBMITTED
            refund.reference = result.reference
            refund.attempts += 1
            refund.last_error = ""
            refund.save(update_fields=["status", "reference", "attempts", "last_error"])
    if refund.reversal_amount > 0 and not refund.reversal_reference:
        send_on_commit(_tasks().reverse_payout, refund.pk)
    return refund


def reverse_payout(refund_id: int) -> Refund | None:
    """Take the seller's part of a refund back from their payout (waits until the payout exists)."""
    refund = Refund.objects.select_related("order").filter(pk=refund_id).first()
    if refund is None or refund.reversal_amount <= 0 or refund.reversal_reference:
        return None
    order = refund.order
    if not order.payout_reference:
        return None  # the payout is still being sent: retried by retry_payment_calls
    reference = gateway_for(order).reverse_payout(order, refund, refund.reversal_amount)
    with transaction.atomic():
        refund = lock(Refund.objects, refund.pk)
        if not refund.reversal_reference:
            refund.reversal_reference = reference
            refund.save(update_fields=["reversal_reference"])
    return refund


def record_refunds(order, *, amount_refunded: Decimal, charge_reference: str = "", payment_reference: str = "",
                   payment_amount: Decimal | None = None) -> Order:
    """Stripe says the charge has `amount_refunded` refunded in all (charge.refunded). Our refunds it
    covers succeed; a refund made outside the platform (the Stripe dashboard) is recorded too. A
    refund reported before the payment itself (events out of order) first records the payment."""
    if order.state == S.PENDING_PAYMENT and payment_amount == order.total:
        record_payment(order, reference=payment_reference, charge_reference=charge_reference)
    with transaction.atomic():
        order = _lock(order)
        if amount_refunded <= order.amount_refunded or order.state == S.PENDING_PAYMENT:
            return order
        now = timezone.now()
        settled = order.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(total=Sum("amount"))["total"] or 0
        covered = amount_refunded - settled
        for refund in order.refunds.filter(status__in=UNSETTLED_REFUND).order_by("pk"):
            if refund.amount > covered:
                break
            refund.status, refund.settled_at = RefundStatus.SUCCEEDED, now
            refund.save(update_fields=["status", "settled_at"])
            covered -= refund.amount
        if covered > 0 and not order.refunds.filter(status__in=UNSETTLED_REFUND).exists():
            outside = Refund.objects.create(
                order=order, amount=covered, requested_role=ActorRole.STRIPE, status=RefundStatus.SUCCEEDED,
                settled_at=now, reason=_("Refunded outside the platform (Stripe dashboard)."),
                reversal_amount=_reversal_for(order, covered),
            )
            if outside.reversal_amount > 0:
                send_on_commit(_tasks().reverse_payout, outside.pk)
            if order.state in (S.PAID, S.HANDED_OVER, S.COMPLETED):
                ORDER.move(order, S.REFUND_REQUESTED, actor=None, role=ActorRole.STRIPE, reason=outside.reason)
        order.amount_refunded = amount_refunded
        order.save(update_fields=["amount_refunded", "updated_at"])
        if order.state == S.REFUND_REQUESTED and not order.refunds.filter(status__in=UNSETTLED_REFUND).exists():
            ORDER.move(order, S.REFUNDED, actor=None, role=ActorRole.STRIPE,
                       reason=_("Stripe confirmed the refund (¥%(amount)s in all).") % {"amount": amount_refunded})
            notify(order.buyer, "order_refunded", _context(order, amount=amount_refunded))
            if order.amount_refunded < order.total:
                send_on_commit(_tasks().release_payout, order.pk)
        return order


# --- payout of the seller's share -----------------------------------------------------------------

def payout_due(order) -> bool:
    """Whether the seller's share of a held payment may leave now."""
    return (
        order.payment_method == PaymentMethod.STRIPE
        and order.released_at is None
        and not order.frozen
        and (order.state == S.COMPLETED or (order.state == S.REFUNDED and order.amount_refunded < order.total))
        and not order.refunds.filter(status__in=UNSETTLED_REFUND).exists()
        and not _has_open_claim(order)
    )


def release_payout(order_id: int) -> Order | None:
    """Transfer the seller's share (less the seller's part of refunds) to the organization's Connect
    account, once. Waits, without error, until the account can receive transfers."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or not payout_due(order):
            return None
        account = ConnectAccount.objects.filter(organization_id=order.organization_id, transfers_active=True).first()
        if account is None:
            return None  # released by account.updated once the organization can receive transfers
        if order.payout_amount is None:
            # Fixed before the call, so a retry sends the same request under the same idempotency key.
            kept = seller_part(order.amount_refunded, seller_amount=order.seller_amount, total=order.total)
            order.payout_amount = max(order.seller_amount - kept, Decimal("0.00"))
            order.save(update_fields=["payout_amount", "updated_at"])
    reference = ""
    if order.payout_amount > 0:
        reference = gateway_for(order).release(order, order.payout_amount, account.account_id)
    with transaction.atomic():
        order = _lock(order)
        if order.released_at is None:
            order.payout_reference = reference
            order.released_at = timezone.now()
            order.save(update_fields=["payout_reference", "released_at", "updated_at"])
            notify(order.seller, "order_payout_sent", _context(order, amount=order.payout_amount))
    return order


# --- disputes -------------------------------------------------------------------------------------

def record_dispute(order, *, reference: str, amount: Decimal, reason: str, status: str, closed: bool) -> Order:
    """A card dispute was opened or changed: an open one freezes the order; staff are told."""
    from orders.models import Dispute

    with transaction.atomic():
        order = _lock(order)
        dispute, created = Dispute.objects.select_for_update().get_or_create(
            reference=reference, defaults={"order": order, "amount": amount, "reason": reason, "status": status},
        )
        dispute.status = status
        if closed and dispute.closed_at is None:
            dispute.closed_at = timezone.now()
        dispute.save(update_fields=["status", "closed_at"])
        still_open = order.disputes.filter(closed_at__isnull=True).exists()
        lost = order.disputes.filter(status="lost").exists()
        frozen = still_open or lost
        if frozen != order.frozen:
            order.frozen = frozen
            order.save(update_fields=["frozen", "updated_at"])
        if created:
            notify_staff("order_disputed", _context(order, reason=reason, amount=amount))
        elif closed:
            notify_staff("order_dispute_closed", _context(order, status=status))
        return order


def _tasks():
    from orders import tasks

    return tasks


def orders_waiting_for_payout(organization_id=None) -> list[int]:
    """Ids of Stripe orders whose seller's share has not left yet although they are done."""
    waiting = Order.objects.filter(payment_method=PaymentMethod.STRIPE, released_at__isnull=True, frozen=False).filter(
        Q(state=S.COMPLETED) | Q(state=S.REFUNDED, amount_refunded__lt=F("total"))
    )
    if organization_id is not None:
        waiting = waiting.filter(organization_id=organization_id)
    return list(waiting.values_list("pk", flat=True))
