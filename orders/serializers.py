"""Shapes of orders, payments, claims, reviews, seller records and payout accounts. Rules live in the
services; what a caller may see of an order depends on their role in it (see `OrderSerializer`)."""
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from listings.serializers import OrganizationSummarySerializer, PublicSellerSerializer
from orders import claims, handover, services
from orders.models import (
    ActorRole,
    Claim,
    ClaimPhoto,
    ClaimState,
    ClaimTransition,
    ConnectAccount,
    Order,
    OrderState,
    OrderTransition,
    PaymentMethod,
    Refund,
    Review,
)
from orders.permissions import is_buyer, is_staff, manages_sale, role_of
from orders.selectors import claim_of, review_of

MONEY = {"max_digits": 12, "decimal_places": 2}


def _user(request):
    return getattr(request, "user", None)


def _absolute(request, path_or_file):
    if not path_or_file:
        return None
    url = path_or_file if isinstance(path_or_file, str) else path_or_file.url
    return request.build_absolute_uri(url) if request is not None else url


# --- orders -------------------------------------------------------------------------------------

class CheckoutSerializer(serializers.Serializer):
    """What the buyer sends. The price is the listing's at this moment: never taken from the client."""

    listing = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False,
        help_text=_("Default: through the platform when the seller can be paid that way, else in person."),
    )


class ListingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="listing_id", read_only=True)
    title = serializers.CharField(read_only=True)


class HandoverCodeSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text=_("Six digits the seller may type."))
    qr_text = serializers.CharField(read_only=True, help_text=_("What the QR code holds."))
    qr_url = serializers.CharField(read_only=True)
    attempts_left = serializers.IntegerField(read_only=True)


def handover_data(order, request) -> dict:
    return {
        "code": order.handover_code,
        "qr_text": handover.qr_text(order),
        "qr_url": _absolute(request, reverse("order-hand-over-qr", args=[order.pk])),
        "attempts_left": max(handover.MAX_ATTEMPTS - order.handover_attempts, 0),
    }


def order_actions(user, order) -> list[str]:
    """What `user` may do with `order` now (the services still decide; this guides a client)."""
    S = OrderState
    actions = []
    claim = claim_of(order)
    open_claim = claim is not None and claim.state in services.OPEN_CLAIM
    if is_buyer(user, order):
        if order.state == S.PENDING_PAYMENT:
            if order.payment_method == PaymentMethod.STRIPE:
                actions.append("pay")
            actions.append("cancel")
        if order.state == S.HANDED_OVER and not open_claim and not order.frozen:
            actions.append("confirm_receipt")
        if (order.state in (S.HANDED_OVER, S.COMPLETED) and claim is None and order.handed_over_at
                and timezone.now() <= order.handed_over_at + timedelta(days=settings.ORDERS_CLAIM_DAYS)):
            actions.append("open_claim")
        if order.state == S.COMPLETED and review_of(order) is None:
            actions.append("review")
        if order.state == S.REFUND_REQUESTED and order.payment_method == PaymentMethod.OFFLINE:
            actions.append("confirm_refund")
    role = role_of(user, order)
    if role == ActorRole.SELLER and not order.frozen and (
        order.state == S.PAID or (order.state == S.PENDING_PAYMENT and order.payment_method == PaymentMethod.OFFLINE)
    ):
        actions.append("hand_over")
    if (manages_sale(user, order) or is_staff(user)) and not is_buyer(user, order):
        if order.state == S.PENDING_PAYMENT:
            actions.append("cancel")
        if order.state in (S.PAID, S.HANDED_OVER, S.COMPLETED) and not order.frozen:
            actions.append("refund")
    return actions


class OrderSerializer(serializers.ModelSerializer):
    listing = ListingRefSerializer(source="*", read_only=True)
    buyer = PublicSellerSerializer(read_only=True)
    seller = PublicSellerSerializer(read_only=True)
    organization = OrganizationSummarySerializer(read_only=True, allow_null=True)
    currency = serializers.CharField(read_only=True)
    my_role = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    platform_fee = serializers.SerializerMethodField(help_text=_("Seller side and staff only."))
    payout_amount = serializers.SerializerMethodField(help_text=_("Seller side and staff only."))
    handover = serializers.SerializerMethodField(help_text=_("The buyer only, until the hand-over."))
    payment_error = serializers.SerializerMethodField(help_text=_("The buyer only."))

    class Meta:
        model = Order
        fields = [
            "id", "state", "listing", "title", "quantity", "unit_price", "total", "currency", "payment_method",
            "buyer", "seller", "organization", "reserved_until", "paid_at", "handed_over_at", "completed_at",
            "amount_refunded", "frozen", "platform_fee", "payout_amount", "released_at", "payment_error",
            "handover", "my_role", "actions", "created_at",
        ]
        read_only_fields = fields

    def _viewer(self):
        return _user(self.context.get("request"))

    def _seller_side(self, order) -> bool:
        user = self._viewer()
        return role_of(user, order) in (ActorRole.SELLER, ActorRole.STAFF)

    @extend_schema_field(serializers.ChoiceField(choices=ActorRole.choices, allow_null=True))
    def get_my_role(self, order):
        return role_of(self._viewer(), order)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, order):
        return order_actions(self._viewer(), order)

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_platform_fee(self, order):
        return str(order.platform_fee) if self._seller_side(order) else None

    @extend_schema_field(serializers.DecimalField(**MONEY, allow_null=True))
    def get_payout_amount(self, order):
        if not self._seller_side(order) or order.payout_amount is None:
            return None
        return str(order.payout_amount)

    @extend_schema_field(HandoverCodeSerializer(allow_null=True))
    def get_handover(self, order):
        if not is_buyer(self._viewer(), order) or order.state not in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            return None
        return handover_data(order, self.context.get("request"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_payment_error(self, order):
        return order.payment_error if is_buyer(self._viewer(), order) else None


class PaymentSerializer(serializers.Serializer):
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, read_only=True)
    reference = serializers.CharField(read_only=True, allow_null=True)
    client_secret = serializers.CharField(
        read_only=True, allow_null=True,
        help_text=_("For Stripe's Payment Element in the buyer's app (cards, Alipay, WeChat Pay)."),
    )
    error = serializers.CharField(read_only=True, allow_null=True,
                                  help_text=_("Set when the payment could not be started; retry with POST pay."))


class CheckoutResultSerializer(OrderSerializer):
    payment = PaymentSerializer(read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "payment"]
        read_only_fields = fields


class OrderTransitionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderTransition
        fields = ["from_state", "to_state", "actor", "actor_role", "reason", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, transition):
        return str(transition.actor.public_name) if transition.actor_id else None


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=200, help_text=_("The six digits, or the text of the scanned QR code."))


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"), required=False,
                                      help_text=_("Default: everything not refunded yet."))
    reason = serializers.CharField(max_length=2000)


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "status", "reason", "requested_role", "reversal_amount", "created_at", "settled_at"]
        read_only_fields = fields


# --- reviews and records ------------------------------------------------------------------------

class ReviewWriteSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.ModelSerializer):
    buyer = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "order", "rating", "text", "buyer", "seller", "organization", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_buyer(self, review):
        return str(review.buyer.public_name) if review.buyer_id else None


class SellerRecordSerializer(serializers.Serializer):
    completed_sales = serializers.IntegerField()
    handed_over_sales = serializers.IntegerField(help_text=_("Sales that reached the buyer: the base of the share."))
    upheld_claims = serializers.IntegerField()
    cancellations = serializers.IntegerField(help_text=_("Orders the seller called off."))
    reviews = serializers.IntegerField()
    rating = serializers.DecimalField(max_digits=2, decimal_places=1, allow_null=True)
    upheld_share = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    new_listings_held = serializers.BooleanField(help_text=_("New listings wait for a review by staff."))
    cleared_at = serializers.DateTimeField(allow_null=True)


class RecordReviewSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --- claims -------------------------------------------------------------------------------------

class ClaimOpenSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=4000)
    photos = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=claims.MAX_PHOTOS)


class ClaimPhotosSerializer(serializers.Serializer):
    photos = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=claims.MAX_PHOTOS)


class ClaimPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimPhoto
        fields = ["id", "url", "thumbnail_url", "width", "height", "created_at"]
        read_only_fields = fields

    def get_url(self, photo) -> str | None:
        return _absolute(self.context.get("request"), photo.image)

    def get_thumbnail_url(self, photo) -> str | None:
        return _absolute(self.context.get("request"), photo.thumbnail)


class ClaimEvidenceSerializer(serializers.Serializer):
    listing = serializers.IntegerField(source="listing_id")
    grade_code = serializers.CharField(source="listing.grade_code")
    grade_source = serializers.CharField(source="listing.grade_source")
    grade_report_url = serializers.SerializerMethodField()

    def get_grade_report_url(self, order) -> str:
        return _absolute(self.context.get("request"), f"/api/v1/listings/{order.listing_id}/grade-report")


class ClaimSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    title = serializers.CharField(source="order.title", read_only=True)
    photos = ClaimPhotoSerializer(many=True, read_only=True)
    evidence = ClaimEvidenceSerializer(source="order", read_only=True)
    answer_due_at = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id", "order", "title", "state", "description", "photos", "evidence", "seller_answer", "answered_at",
            "answer_due_at", "decided_for", "decision_reason", "refund_amount", "return_required", "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_answer_due_at(self, claim) -> str:
        return (claim.created_at + timedelta(days=settings.ORDERS_CLAIM_ANSWER_DAYS)).isoformat()


class ClaimAnswerSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


class ClaimDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(ClaimState.UPHELD, ClaimState.UPHELD.label),
                                                (ClaimState.REJECTED, ClaimState.REJECTED.label)])
    reason = serializers.CharField(max_length=4000)
    refund_amount = serializers.DecimalField(
        **MONEY, min_value=Decimal("0.01"), required=False,
        help_text=_("Upheld only. Default: everything not refunded yet (the item goes back to the seller)."),
    )
    agency = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False,
                                                help_text=_("The inspection agency you decide for."))


class ClaimTransitionSerializer(OrderTransitionSerializer):
    class Meta:
        model = ClaimTransition
        fields = ["from_state", "to_state", "actor", "actor_role", "reason", "created_at"]
        read_only_fields = fields


# --- payouts ------------------------------------------------------------------------------------

class ConnectAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConnectAccount
        fields = ["account_id", "details_submitted", "charges_enabled", "payouts_enabled", "transfers_active",
                  "requirements_due", "disabled_reason", "status_as_of", "created_at"]
        read_only_fields = fields


class PayoutStatusSerializer(serializers.Serializer):
    stripe_configured = serializers.BooleanField()
    account = ConnectAccountSerializer(allow_null=True)
    accepts_payments_through_platform = serializers.BooleanField()


class OnboardingLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    account = ConnectAccountSerializer()
