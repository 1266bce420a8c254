"""Thin API views of orders: authenticate, parse, call a service, shape the answer."""
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization, Role, User
from accounts.permissions import has_org_role
from listings.models import Listing
from listings.selectors import visible_listings
from marketplace.api.filters import IdFilter
from marketplace.api.renderers import PNGView
from marketplace.errors import NotAllowed
from orders import claims, connect, handover, record, reviews, services, webhooks
from orders.gateways import PaymentUnavailable
from orders.gateways import stripe as stripe_gateway
from orders.models import ClaimState, ConnectAccount, OrderState, PaymentMethod, Review
from orders.permissions import is_buyer
from orders.selectors import visible_claims, visible_orders
from orders.serializers import (
    CheckoutResultSerializer,
    CheckoutSerializer,
    ClaimAnswerSerializer,
    ClaimDecisionSerializer,
    ClaimOpenSerializer,
    ClaimPhotosSerializer,
    ClaimSerializer,
    ClaimTransitionSerializer,
    CodeSerializer,
    HandoverCodeSerializer,
    OnboardingLinkSerializer,
    OptionalReasonSerializer,
    OrderSerializer,
    OrderTransitionSerializer,
    PaymentSerializer,
    PayoutStatusSerializer,
    RecordReviewSerializer,
    RefundRequestSerializer,
    RefundSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    SellerRecordSerializer,
    handover_data,
)


class OrderFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=OrderState.choices)
    role = filters.ChoiceFilter(choices=[("buying", "buying"), ("selling", "selling")], method="filter_role",
                                help_text="buying: orders I placed; selling: orders of what I (or my organizations) sell")

    def filter_role(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(buyer=user) if value == "buying" else queryset.exclude(buyer=user)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders the caller bought or sold (staff: all), and what buyer and seller do with them."""

    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = OrderFilter
    queryset = visible_orders(None)
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return visible_orders(self.request.user)

    def _order(self, pk):
        return get_object_or_404(visible_orders(self.request.user), pk=pk)

    def _answer(self, order, status_code=status.HTTP_200_OK):
        fresh = visible_orders(self.request.user).filter(pk=order.pk).first() or order
        return Response(OrderSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=CheckoutSerializer, responses={201: CheckoutResultSerializer})
    def create(self, request):
        """Check out: reserve units of a listing at its price now (409 when someone else took them)."""
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = Listing.objects.filter(pk=data["listing"]).first()
        if listing is None:
            raise NotFound(_("This listing does not exist (any more)."))
        order = services.checkout(buyer=request.user, listing=listing, quantity=data["quantity"],
                                  payment_method=data.get("payment_method"))
        payment = {"payment_method": order.payment_method, "reference": None, "client_secret": None, "error": None}
        if order.payment_method == PaymentMethod.STRIPE:
            try:
                payment.update(services.start_payment(order, actor=request.user))
            except PaymentUnavailable as exc:
                payment["error"] = str(exc.message)
        order = visible_orders(request.user).get(pk=order.pk)
        order.payment = payment
        return Response(CheckoutResultSerializer(order, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PaymentSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """The buyer (again) gets what the app needs to pay a Stripe order: its PaymentIntent's client secret."""
        return Response({"error": None, **services.start_payment(self._order(pk), actor=request.user)})

    @extend_schema(request=OptionalReasonSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Call off an unpaid order (buyer, seller, staff); its units go back on sale."""
        serializer = OptionalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.cancel(self._order(pk), actor=request.user, reason=serializer.validated_data["reason"])
        return self._answer(order)

    @extend_schema(request=CodeSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        """The seller scans or types the buyer's code at the meeting: handed over (offline: also paid)."""
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.hand_over(self._order(pk), actor=request.user, code=serializer.validated_data["code"])
        return self._answer(order)

    @extend_schema(request=None, responses=HandoverCodeSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over-code/renew")
    def renew_handover_code(self, request, pk=None):
        """The buyer gets a new hand-over code; the old one stops working."""
        order = services.renew_handover_code(self._order(pk), actor=request.user)
        return Response(handover_data(order, request))

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-receipt")
    def confirm_receipt(self, request, pk=None):
        """The buyer has the item as described: completed, and the seller is paid out."""
        return self._answer(services.confirm_receipt(self._order(pk), actor=request.user))

    @extend_schema(request=RefundRequestSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund the buyer, all or (after the hand-over) part (seller admins, staff)."""
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.request_refund(self._order(pk), actor=request.user, **serializer.validated_data)
        return Response(RefundSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OrderSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-refund")
    def confirm_refund(self, request, pk=None):
        """Offline orders: the buyer confirms the seller paid the refund back in person."""
        return self._answer(services.confirm_offline_refund(self._order(pk), actor=request.user))

    @extend_schema(responses=RefundSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def refunds(self, request, pk=None):
        order = self._order(pk)
        return Response(RefundSerializer(order.refunds.order_by("created_at", "id"), many=True).data)

    @extend_schema(responses=OrderTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def transitions(self, request, pk=None):
        """Every state change with its actor, role and reason."""
        order = self._order(pk)
        rows = order.transitions.select_related("actor").order_by("created_at", "id")
        return Response(OrderTransitionSerializer(rows, many=True).data)

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The buyer rates the seller of a completed order, once."""
        serializer = ReviewWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = reviews.review(self._order(pk), actor=request.user, **serializer.validated_data)
        return Response(ReviewSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": ClaimOpenSerializer}, responses={201: ClaimSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def claim(self, request, pk=None):
        """The buyer claims the item is not as graded, with photos (multipart: description, photos)."""
        serializer = ClaimOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = claims.open_claim(self._order(pk), actor=request.user, **serializer.validated_data)
        claim = visible_claims(request.user).get(pk=created.pk)
        return Response(ClaimSerializer(claim, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class HandoverQRView(PNGView):
    """The buyer's hand-over code as a QR code (PNG), to show at the meeting."""

    permission_classes = [IsAuthenticated]
    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No such order")})
    def get(self, request, pk):
        order = get_object_or_404(visible_orders(request.user), pk=pk)
        if not is_buyer(request.user, order):
            raise NotAllowed(_("Only the buyer holds the hand-over code."))
        if order.state not in (OrderState.PENDING_PAYMENT, OrderState.PAID):
            raise NotFound(_("This order needs no hand-over code any more."))
        response = HttpResponse(handover.qr_png(order), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Grade claims: the buyer's, the seller's, those an inspection agency member may decide; staff all."""

    serializer_class = ClaimSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["state"]
    queryset = visible_claims(None)
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return visible_claims(self.request.user)

    def _claim(self, pk):
        return get_object_or_404(visible_claims(self.request.user), pk=pk)

    def _answer(self, claim, status_code=status.HTTP_200_OK):
        fresh = visible_claims(self.request.user).filter(pk=claim.pk).first() or claim
        return Response(ClaimSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=ClaimAnswerSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """The seller gives their view."""
        serializer = ClaimAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(claims.answer(self._claim(pk), actor=request.user, text=serializer.validated_data["text"]))

    @extend_schema(request=ClaimDecisionSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """An inspection agency member or staff decides: upheld (refund) or rejected."""
        serializer = ClaimDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim = claims.decide(
            self._claim(pk), actor=request.user, upheld=data["decision"] == ClaimState.UPHELD, reason=data["reason"],
            refund_amount=data.get("refund_amount"), agency=data.get("agency"),
        )
        return self._answer(claim)

    @extend_schema(request=OptionalReasonSerializer, responses=ClaimSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        serializer = OptionalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claims.withdraw(self._claim(pk), actor=request.user, reason=serializer.validated_data["reason"])
        return self._answer(claim)

    @extend_schema(request={"multipart/form-data": ClaimPhotosSerializer}, responses=ClaimSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, pk=None):
        """The buyer adds photos while the claim waits for the seller's answer."""
        serializer = ClaimPhotosSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = claims.add_photos(self._claim(pk), actor=request.user, photos=serializer.validated_data["photos"])
        return self._answer(claim)

    @extend_schema(responses=ClaimTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def transitions(self, request, pk=None):
        """Every step of the claim with its actor, role and reason."""
        claim = self._claim(pk)
        rows = claim.transitions.select_related("actor").order_by("created_at", "id")
        return Response(ClaimTransitionSerializer(rows, many=True).data)


class ReviewFilter(filters.FilterSet):
    seller = IdFilter(method="filter_seller", help_text="a person's id: reviews of their own sales")
    organization = IdFilter(field_name="organization_id")

    def filter_seller(self, queryset, name, value):
        return queryset.filter(seller_id=value, organization__isnull=True)


class ReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reviews of sellers, newest first (public)."""

    serializer_class = ReviewSerializer
    permission_classes = [AllowAny]
    filterset_class = ReviewFilter
    queryset = Review.objects.select_related("buyer").order_by("-created_at", "-id")


class _RecordView(APIView):
    permission_classes = [AllowAny]

    def party(self, pk) -> dict:
        raise NotImplementedError

    @extend_schema(responses=SellerRecordSerializer)
    def get(self, request, pk):
        return Response(SellerRecordSerializer(record.seller_record(**self.party(pk))).data)


class SellerRecordView(_RecordView):
    """A person's record as a seller (their own sales, not those for an organization)."""

    def party(self, pk):
        return {"seller": get_object_or_404(User, pk=pk, is_active=True)}


class OrganizationRecordView(_RecordView):
    """An organization's record as a seller."""

    def party(self, pk):
        return {"organization": get_object_or_404(Organization, pk=pk)}


class ListingSellerRecordView(APIView):
    """The record of whoever sells this listing (its organization, or its seller)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=SellerRecordSerializer)
    def get(self, request, pk):
        listing = get_object_or_404(visible_listings(request.user), pk=pk)
        return Response(SellerRecordSerializer(record.record_for_listing(listing)).data)


class _ClearRecordView(_RecordView):
    permission_classes = [IsAuthenticated]
    http_method_names = ["post", "options"]

    @extend_schema(request=RecordReviewSerializer, responses={201: SellerRecordSerializer})
    def post(self, request, pk):
        """Staff reviewed the record: the seller's new listings are no longer held."""
        serializer = RecordReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        party = self.party(pk)
        record.clear_record(actor=request.user, reason=serializer.validated_data["reason"], **party)
        return Response(SellerRecordSerializer(record.seller_record(**party)).data, status=status.HTTP_201_CREATED)


class ClearSellerRecordView(_ClearRecordView, SellerRecordView):
    pass


class ClearOrganizationRecordView(_ClearRecordView, OrganizationRecordView):
    pass


def _payouts_organization(request, pk) -> Organization:
    organization = get_object_or_404(Organization, pk=pk)
    if not (request.user.is_staff or has_org_role(request.user, organization, Role.ADMIN)):
        raise NotAllowed(_("Only administrators of the organization (or staff) see its payouts."))
    return organization


class PayoutsView(APIView):
    """An organization's Stripe Connect account and whether buyers can pay it through the platform."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PayoutStatusSerializer)
    def get(self, request, pk):
        organization = _payouts_organization(request, pk)
        account = ConnectAccount.objects.filter(organization=organization).first()
        return Response(PayoutStatusSerializer({
            "stripe_configured": stripe_gateway.is_configured(),
            "account": account,
            "accepts_payments_through_platform": bool(stripe_gateway.is_configured() and account
                                                      and account.transfers_active),
        }).data)


class PayoutOnboardingView(APIView):
    """An organization admin gets a fresh link to Stripe's hosted onboarding (Connect Express)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: OnboardingLinkSerializer})
    def post(self, request, pk):
        organization = get_object_or_404(Organization, pk=pk)
        link = connect.start_onboarding(organization, actor=request.user)
        return Response(OnboardingLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class StripeWebhookView(APIView):
    """Stripe events (signed with STRIPE_WEBHOOK_SECRET): stored, then processed exactly once."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses={200: OpenApiResponse(description="Stored (or already stored)"),
                              400: OpenApiResponse(description="Bad or old signature, or not an event"),
                              404: OpenApiResponse(description="Webhooks are not set up (no STRIPE_WEBHOOK_SECRET)")})
    def post(self, request):
        event, created = webhooks.receive(request.body, request.headers.get("Stripe-Signature"))
        return Response({"received": True, "duplicate": not created})
