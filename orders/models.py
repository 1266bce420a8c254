"""Orders, their audit, payments (refunds, disputes, Stripe events, Connect accounts), reviews and
grade-guarantee claims.

State changes go through orders.services (orders) and orders.claims (claims), one transition
and one audit row each (orders.transitions); models keep only invariants about their own fields.
Money is Decimal CNY; Stripe amounts are integer fen, converted by orders.money.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CURRENCY = "CNY"


class OrderState(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
    PAID = "paid", _("Paid")
    HANDED_OVER = "handed_over", _("Handed over")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUNDED = "refunded", _("Refunded")


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", _("Card, Alipay or WeChat Pay (through the platform, held until receipt)")
    OFFLINE = "offline", _("Cash or transfer at the hand-over (not through the platform)")


class ActorRole(models.TextChoices):
    """On whose behalf a step was taken: the audit says it even when the actor is the platform."""

    BUYER = "buyer", _("Buyer")
    SELLER = "seller", _("Seller")
    STAFF = "staff", _("Platform staff")
    INSPECTOR = "inspector", _("Inspection agency")
    PLATFORM = "platform", _("Platform (automatic)")
    STRIPE = "stripe", _("Stripe")


class Order(models.Model):
    """One checkout of `quantity` units of a listing at the price it had then."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases")
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="orders")
    # The selling side when the order was placed: the listing's seller and organization.
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="sales"
    )
    title = models.CharField(_("title"), max_length=120)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=9, decimal_places=2)
    total = models.DecimalField(_("total (CNY)"), max_digits=12, decimal_places=2)
    # The platform's share of a payment through Stripe (0 for offline payments, which it never holds).
    platform_fee = models.DecimalField(_("platform fee (CNY)"), max_digits=12, decimal_places=2, default=0)
    payment_method = models.CharField(_("payment method"), max_length=16, choices=PaymentMethod.choices)

    state = models.CharField(_("state"), max_length=20, choices=OrderState.choices, default=OrderState.PENDING_PAYMENT)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    reserved_until = models.DateTimeField(_("reserved until"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    # Stripe: the PaymentIntent (created with the order's idempotency key) and its charge.
    payment_reference = models.CharField(_("payment reference"), max_length=255, blank=True)
    charge_reference = models.CharField(_("charge reference"), max_length=255, blank=True)
    payment_error = models.TextField(_("last payment error"), blank=True)
    amount_refunded = models.DecimalField(_("refunded (CNY)"), max_digits=12, decimal_places=2, default=0)
    # The seller's share: fixed when its transfer starts (so a retry sends the same request), then
    # the transfer's id and the time Stripe confirmed it.
    payout_amount = models.DecimalField(_("payout (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    payout_reference = models.CharField(_("payout reference"), max_length=255, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    # A card dispute is open: nothing moves until Stripe settles it.
    frozen = models.BooleanField(_("frozen by a dispute"), default=False)

    # The buyer shows it (as a QR code or six digits) at the meeting; the seller scans or types it.
    handover_code = models.CharField(max_length=6)
    handover_attempts = models.PositiveSmallIntegerField(default=0)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="order_buyer_created"),
            models.Index(fields=["seller", "-created_at"], name="order_seller_created"),
            models.Index(fields=["organization", "-created_at"], name="order_org_created"),
            models.Index(fields=["listing", "state"], name="order_listing_state"),
            models.Index(fields=["state", "reserved_until"], name="order_state_reserved"),
            models.Index(fields=["state", "handed_over_at"], name="order_state_handed_over"),
            models.Index(fields=["payment_reference"], name="order_payment_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(total__gt=0), name="order_total_positive"),
            models.CheckConstraint(condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("total")),
                                   name="order_refund_within_total"),
            models.CheckConstraint(condition=Q(platform_fee__gte=0) & Q(platform_fee__lte=models.F("total")),
                                   name="order_fee_within_total"),
        ]

    def __str__(self):
        return f"order {self.pk} ({self.state})"

    @property
    def currency(self):
        return CURRENCY

    @property
    def seller_amount(self):
        """What the seller is owed before refunds: the total less the platform's fee."""
        return self.total - self.platform_fee


class OrderTransition(models.Model):
    """Audit of every state change of an order: who (and in which role), when, from, to, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_role = models.CharField(max_length=16, choices=ActorRole.choices)
    from_state = models.CharField(max_length=20, choices=OrderState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=OrderState.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order transition")
        verbose_name_plural = _("order transitions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["to_state", "actor_role"], name="order_transition_to_role")]

    def __str__(self):
        return f"{self.order_id}: {self.from_state or '-'} -> {self.to_state}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SUBMITTED = "submitted", _("Sent to the payment provider")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money given back to the buyer, with the part taken back from the seller's payout if it left."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    reason = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    requested_role = models.CharField(max_length=16, choices=ActorRole.choices)
    claim = models.ForeignKey("orders.Claim", on_delete=models.SET_NULL, null=True, blank=True, related_name="refunds")
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    reference = models.CharField(_("refund reference"), max_length=255, blank=True)
    # The seller's part of this refund, taken back from a payout that had already been sent.
    reversal_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    reversal_reference = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_status_created")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"refund {self.pk} of order {self.order_id}: {self.amount} ({self.status})"


class Dispute(models.Model):
    """A card dispute (chargeback) opened with the buyer's bank, as Stripe reported it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="disputes")
    reference = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"dispute {self.reference} ({self.status})"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Stored, nothing to do")
    FAILED = "failed", _("Failed, will be retried")


class WebhookEvent(models.Model):
    """Every Stripe event we accepted, stored before it is processed and processed exactly once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(_("created at Stripe"))
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    note = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_status_next")]

    def __str__(self):
        return f"{self.type} {self.event_id} ({self.status})"


class ConnectAccount(models.Model):
    """An organization's Stripe Connect Express account, kept in step by `account.updated`."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.PROTECT, related_name="connect_account")
    account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    transfers_active = models.BooleanField(_("can receive transfers"), default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    # `created` of the newest account.updated applied: an older event arriving late changes nothing.
    status_as_of = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Stripe Connect account")
        verbose_name_plural = _("Stripe Connect accounts")

    def __str__(self):
        return f"{self.account_id} ({self.organization_id})"


class Review(models.Model):
    """The buyer's rating of the seller after a completed order."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="review")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="reviews_received")
    rating = models.PositiveSmallIntegerField(_("rating"))
    text = models.TextField(_("text"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5")]

    def __str__(self):
        return f"{self.rating}/5 for order {self.order_id}"


class ClaimState(models.TextChoices):
    OPEN = "open", _("Open: waiting for the seller's answer")
    ANSWERED = "answered", _("Answered: waiting for a decision")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Claim(models.Model):
    """A grade-guarantee claim: the buyer says the item is not as graded; an inspector or staff decides."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="claim")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    state = models.CharField(max_length=16, choices=ClaimState.choices, default=ClaimState.OPEN)
    description = models.TextField(_("what is not as graded"), max_length=4000)
    seller_answer = models.TextField(_("seller's answer"), max_length=4000, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_for = models.ForeignKey("accounts.Organization", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="claims_decided", help_text=_("The inspection agency that decided."))
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    return_required = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("grade claim")
        verbose_name_plural = _("grade claims")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="claim_state_created")]

    def __str__(self):
        return f"claim {self.pk} on order {self.order_id} ({self.state})"


def _claim_photo_path(instance, filename):
    return f"claims/{instance.claim_id}/{filename}"


class ClaimPhoto(models.Model):
    """A photo of the item as received, re-encoded without metadata."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_claim_photo_path, width_field="width", height_field="height")
    # Made by a task after the upload commits: empty until then.
    thumbnail = models.ImageField(upload_to=_claim_photo_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("claim photo")
        verbose_name_plural = _("claim photos")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"photo {self.pk} of claim {self.claim_id}"


class ClaimTransition(models.Model):
    """Audit of every step of a claim: opened, answered, decided, withdrawn."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_role = models.CharField(max_length=16, choices=ActorRole.choices)
    from_state = models.CharField(max_length=16, choices=ClaimState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=ClaimState.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("claim transition")
        verbose_name_plural = _("claim transitions")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"claim {self.claim_id}: {self.from_state or '-'} -> {self.to_state}"


class RecordReview(models.Model):
    """Staff looked at a seller whose upheld claims passed the threshold and let new listings through
    again; it holds until another claim against the seller is upheld."""

    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="record_reviews")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="record_reviews")
    upheld_claims = models.PositiveIntegerField()
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("seller record review")
        verbose_name_plural = _("seller record reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(seller__isnull=False) & Q(organization__isnull=True))
                | (Q(seller__isnull=True) & Q(organization__isnull=False)),
                name="record_review_one_party",
            ),
        ]

    def __str__(self):
        return f"review of {self.organization_id or self.seller_id} at {self.upheld_claims} upheld"
