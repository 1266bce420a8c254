"""Thin API views of the events app: authenticate, parse, call a service, shape the answer.

An event the caller may not see is a 404 wherever it is named; an action the caller may see but
not take is a 403 (raised by the services, which hold the rules).
"""
import csv
import io

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization, Role, User
from accounts.permissions import user_org_ids
from events import attendance, bookings, books, calendar, listings_at_events, selectors, services, swaps
from events.filters import EventFilter
from events.models import (
    BookCopy,
    CopyStatus,
    CreditEntry,
    EventAuditRecord,
    EventPass,
    EventState,
    SharingCorner,
    StallBooking,
    SwapOffer,
    SwapRing,
    SwapWant,
)
from events.permissions import (
    campus_organization_ids,
    can_organize,
    is_campus_member,
    is_member,
    is_staff,
    require_campus_member,
    require_crew,
    require_organizer,
)
from events.serializers import (
    ArrivalsSerializer,
    AttachListingSerializer,
    AuditRecordSerializer,
    BookCopySerializer,
    BookDescriptionSerializer,
    BookingRequestSerializer,
    BookingSerializer,
    BookPrefillSerializer,
    CheckInResultSerializer,
    CheckInSerializer,
    CornerSerializer,
    CornerStockSerializer,
    CornerUpdateSerializer,
    CornerWriteSerializer,
    CreditAccountSerializer,
    DepositSerializer,
    EventCancelSerializer,
    EventListingSerializer,
    EventOptionalReasonSerializer,
    EventSerializer,
    EventUpdateSerializer,
    EventWriteSerializer,
    LotterySerializer,
    MatchingRequestSerializer,
    MatchingRunSerializer,
    OfferCreateSerializer,
    PairSerializer,
    PassSerializer,
    RsvpSerializer,
    ShareDayReportSerializer,
    StallPlanSerializer,
    StallSerializer,
    SwapOfferSerializer,
    SwapRingSerializer,
    SwapWantSerializer,
    TakeSerializer,
)
from marketplace.api.filters import IdFilter, is_id
from marketplace.api.renderers import BinaryRenderer, FileView, PNGView
from marketplace.errors import NotAllowed

ID = r"\d+"


class ICalendarRenderer(BinaryRenderer):
    media_type = "text/calendar"
    format = "ics"


class CSVRenderer(BinaryRenderer):
    media_type = "text/csv"
    format = "csv"


def _file(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def visible_event(request, pk):
    """The event if the caller may see it; 404 otherwise (members-only and drafts included)."""
    return get_object_or_404(selectors.visible_events(request.user).select_related("organization", "corner"), pk=pk)


def _require_signed_in(request):
    if not request.user.is_authenticated:
        raise NotAuthenticated()


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Events. Everyone sees published (and later) public events; members of the organizer also
    its members-only events and drafts; staff everything. Organizer administrators write."""

    queryset = selectors.visible_events(None).none()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    filter_backends = [filters.DjangoFilterBackend]
    permission_classes = [IsAuthenticatedOrReadOnly]
    lookup_value_regex = ID

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.visible_events(None).none()
        queryset = selectors.with_cards(selectors.visible_events(self.request.user))
        return queryset.order_by("starts_at", "id")

    def _card(self, event, status_code=status.HTTP_200_OK):
        fresh = selectors.with_cards(selectors.visible_events(self.request.user)).get(pk=event.pk)
        return Response(EventSerializer(fresh).data, status=status_code)

    def _event(self, pk):
        return visible_event(self.request, pk)

    # --- the event itself ---

    @extend_schema(request=EventWriteSerializer, responses={201: EventSerializer})
    def create(self, request):
        """A draft event (administrators of a verified community, school or other event organizer)."""
        serializer = EventWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.create_event(actor=request.user, **serializer.validated_data)
        return self._card(event, status.HTTP_201_CREATED)

    @extend_schema(request=EventUpdateSerializer, responses=EventSerializer)
    def partial_update(self, request, pk=None):
        """Edit a draft or published event; kind, booking mode and visibility are fixed once published."""
        event = self._event(pk)
        serializer = EventUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        event = services.update_event(event, actor=request.user, **serializer.validated_data)
        return self._card(event)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Delete a draft."""
        services.delete_draft(self._event(pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _move(self, request, pk, move, serializer_class=None):
        event = self._event(pk)
        extra = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            extra = serializer.validated_data
        return self._card(move(event, actor=request.user, **extra))

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """draft -> published (a flea market needs its stall plan; a lottery commits to its seed)."""
        return self._move(request, pk, services.publish_event)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """published -> ongoing (from two hours before the start; the platform does it at the start)."""
        return self._move(request, pk, services.start_event)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """ongoing -> finished."""
        return self._move(request, pk, services.finish_event)

    @extend_schema(request=EventCancelSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """published -> cancelled; everyone registered is notified with the reason."""
        return self._move(request, pk, services.cancel_event, EventCancelSerializer)

    @extend_schema(responses=AuditRecordSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="audit", pagination_class=None)
    def audit(self, request, pk=None):
        """Every change of the event, its bookings, passes and swaps (organizer, staff)."""
        _require_signed_in(request)
        event = self._event(pk)
        if not is_staff(request.user):
            require_organizer(request.user, event.organization)
        records = EventAuditRecord.objects.filter(event=event).select_related("actor").order_by("created_at", "id")
        return Response(AuditRecordSerializer(records, many=True).data)

    # --- stalls, bookings, lottery ---

    @extend_schema(methods=["get"], responses=StallSerializer(many=True))
    @extend_schema(methods=["put"], request=StallPlanSerializer, responses=StallSerializer(many=True))
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def stalls(self, request, pk=None):
        """The stall plan with which stalls are taken; PUT replaces it (organizer)."""
        event = self._event(pk)
        if request.method == "PUT":
            serializer = StallPlanSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.set_stall_plan(event, actor=request.user, stalls=serializer.validated_data["stalls"])
        context = {"organizer": can_organize(request.user, event.organization)}
        return Response(StallSerializer(selectors.stalls_with_holders(event), many=True, context=context).data)

    @extend_schema(methods=["get"], responses=BookingSerializer(many=True))
    @extend_schema(methods=["post"], request=BookingRequestSerializer, responses={201: BookingSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def bookings(self, request, pk=None):
        """GET: every booking (organizer) or your own; POST: book a stall, enter the lottery or join the waitlist."""
        _require_signed_in(request)
        event = self._event(pk)
        if request.method == "POST":
            serializer = BookingRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            booking = bookings.request_stall(event, actor=request.user, stall_number=data["stall"],
                                             join_waitlist=data["join_waitlist"], note=data["note"])
            return Response(BookingSerializer(self._bookings(event).get(pk=booking.pk)).data,
                            status=status.HTTP_201_CREATED)
        queryset = self._bookings(event)
        if not (can_organize(request.user, event.organization) or is_staff(request.user)):
            queryset = queryset.filter(holder=request.user)
        return Response(BookingSerializer(queryset, many=True).data)

    @staticmethod
    def _bookings(event):
        return (StallBooking.objects.filter(event=event).select_related("holder", "stall", "preferred_stall", "event_pass")
                .order_by("created_at", "id"))

    def _booking(self, request, pk, booking_id):
        _require_signed_in(request)
        event = self._event(pk)
        return get_object_or_404(StallBooking.objects.select_related("event__organization"), pk=booking_id, event=event)

    @extend_schema(request=EventOptionalReasonSerializer, responses=BookingSerializer)
    @action(detail=True, methods=["post"], url_path=rf"bookings/(?P<booking_id>{ID})/cancel")
    def cancel_booking(self, request, pk=None, booking_id=None):
        """The holder gives up the booking (or waitlist place); the organizer cancels it with a reason.
        A freed stall is offered to the next person on the waitlist."""
        booking = self._booking(request, pk, booking_id)
        serializer = EventOptionalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = bookings.cancel_booking(booking, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(BookingSerializer(self._bookings(booking.event).get(pk=booking.pk)).data)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"], url_path=rf"bookings/(?P<booking_id>{ID})/confirm")
    def confirm_booking(self, request, pk=None, booking_id=None):
        """Take the stall offered to you from the waitlist, before the deadline."""
        booking = bookings.confirm_offer(self._booking(request, pk, booking_id), actor=request.user)
        return Response(BookingSerializer(self._bookings(booking.event).get(pk=booking.pk)).data)

    @extend_schema(responses=LotterySerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def lottery(self, request, pk=None):
        """The lottery: its seed's commitment before the draw; the seed and every ticket after it."""
        return Response(LotterySerializer(bookings.lottery_result(self._event(pk))).data)

    @extend_schema(request=None, responses=LotterySerializer)
    @lottery.mapping.post
    def draw_lottery(self, request, pk=None):
        """Draw the stalls once the request window has closed (organizer)."""
        return Response(LotterySerializer(bookings.draw_lottery(self._event(pk), actor=request.user)).data)

    # --- visitors, passes, check-in ---

    @extend_schema(methods=["post"], request=None, responses={201: RsvpSerializer})
    @extend_schema(methods=["delete"], request=None, responses=RsvpSerializer)
    @action(detail=True, methods=["post", "delete"])
    def rsvp(self, request, pk=None):
        """Say you are coming (POST) or not any more (DELETE); a visitor pass comes with it."""
        _require_signed_in(request)
        event = self._event(pk)
        if request.method == "DELETE":
            return Response(RsvpSerializer(attendance.cancel_rsvp(event, actor=request.user),
                                           context={"request": request}).data)
        answer = attendance.rsvp(event, actor=request.user)
        return Response(RsvpSerializer(answer, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=PassSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="passes/mine", pagination_class=None)
    def my_passes(self, request, pk=None):
        """Your passes for this event (a stall booking's and a visitor's), with code and QR link."""
        _require_signed_in(request)
        event = self._event(pk)
        passes = (EventPass.objects.filter(event=event, holder=request.user, revoked_at__isnull=True)
                  .select_related("booking__stall").order_by("id"))
        return Response(PassSerializer(passes, many=True, context={"request": request}).data)

    @extend_schema(request=CheckInSerializer, responses=CheckInResultSerializer)
    @action(detail=True, methods=["post"], url_path="check-ins")
    def check_in(self, request, pk=None):
        """Check a pass in by its code or scanned QR payload, once (members of the organizer)."""
        event = self._event(pk)
        serializer = CheckInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event_pass = attendance.check_in(event, actor=request.user, code=serializer.validated_data["code"])
        return Response(CheckInResultSerializer(event_pass).data)

    @extend_schema(responses=ArrivalsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def arrivals(self, request, pk=None):
        """Arrivals so far: sellers and visitors, by stall and by hour (members of the organizer, staff)."""
        _require_signed_in(request)
        event = self._event(pk)
        if not is_staff(request.user):
            require_crew(request.user, event.organization)
        return Response(ArrivalsSerializer(attendance.arrivals(event)).data)

    # --- listings at the event ---

    @extend_schema(methods=["get"], responses=EventListingSerializer(many=True))
    @extend_schema(methods=["post"], request=AttachListingSerializer, responses={201: EventListingSerializer})
    @action(detail=True, methods=["get", "post"], url_path="listings", pagination_class=None)
    def listings(self, request, pk=None):
        """What will be at this event: listings sellers bring, by stall. POST: bring one of yours."""
        event = self._event(pk)
        if request.method == "POST":
            _require_signed_in(request)
            serializer = AttachListingSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            link = listings_at_events.attach_listing(event, actor=request.user,
                                                     listing_id=serializer.validated_data["listing"])
            return Response(EventListingSerializer(selectors.listings_at(event).get(pk=link.pk)).data,
                            status=status.HTTP_201_CREATED)
        return Response(EventListingSerializer(selectors.listings_at(event), many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=rf"listings/(?P<listing_id>{ID})")
    def detach_listing(self, request, pk=None, listing_id=None):
        """Take a listing off your stall at this event."""
        _require_signed_in(request)
        listings_at_events.detach_listing(self._event(pk), actor=request.user, listing_id=int(listing_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    # --- book share days ---

    @extend_schema(responses=ShareDayReportSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def report(self, request, pk=None):
        """A share day's report: books exchanged by subject and grade, members taking part (organizer, staff)."""
        event = self._organized_or_staff(pk)
        return Response(ShareDayReportSerializer(selectors.share_day_report(event)).data)

    def _organized_or_staff(self, pk):
        _require_signed_in(self.request)
        event = self._event(pk)
        if not is_staff(self.request.user):
            require_organizer(self.request.user, event.organization)
        return event

    # --- swap mode ---

    def _share_day_for_member(self, request, pk):
        _require_signed_in(request)
        event = self._event(pk)
        if not (can_organize(request.user, event.organization) or is_staff(request.user)):
            require_campus_member(request.user, event.organization)
        return event

    @extend_schema(methods=["get"], responses=SwapOfferSerializer(many=True))
    @extend_schema(methods=["post"], request=OfferCreateSerializer, responses={201: SwapOfferSerializer})
    @action(detail=True, methods=["get", "post"], url_path="swap/offers", pagination_class=None)
    def swap_offers(self, request, pk=None):
        """Books offered for swapping at this share day (students and teachers of the school)."""
        event = self._share_day_for_member(request, pk)
        if request.method == "POST":
            serializer = OfferCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            offer = swaps.add_offer(event, actor=request.user, **serializer.validated_data)
            return Response(SwapOfferSerializer(offer).data, status=status.HTTP_201_CREATED)
        offers = SwapOffer.objects.filter(event=event).select_related("record").order_by("id")
        return Response(SwapOfferSerializer(offers, many=True).data)

    @extend_schema(request=None, responses=SwapOfferSerializer)
    @action(detail=True, methods=["delete"], url_path=rf"swap/offers/(?P<offer_id>{ID})")
    def withdraw_offer(self, request, pk=None, offer_id=None):
        event = self._share_day_for_member(request, pk)
        offer = swaps.withdraw_offer(get_object_or_404(SwapOffer, pk=offer_id, event=event), actor=request.user)
        return Response(SwapOfferSerializer(offer).data)

    @extend_schema(methods=["get"], responses=SwapWantSerializer(many=True))
    @extend_schema(methods=["post"], request=BookDescriptionSerializer, responses={201: SwapWantSerializer})
    @action(detail=True, methods=["get", "post"], url_path="swap/wants", pagination_class=None)
    def swap_wants(self, request, pk=None):
        """Books wanted at this share day."""
        event = self._share_day_for_member(request, pk)
        if request.method == "POST":
            serializer = BookDescriptionSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            want = swaps.add_want(event, actor=request.user, **serializer.validated_data)
            return Response(SwapWantSerializer(want).data, status=status.HTTP_201_CREATED)
        wants = SwapWant.objects.filter(event=event).select_related("record").order_by("id")
        return Response(SwapWantSerializer(wants, many=True).data)

    @extend_schema(request=None, responses=SwapWantSerializer)
    @action(detail=True, methods=["delete"], url_path=rf"swap/wants/(?P<want_id>{ID})")
    def withdraw_want(self, request, pk=None, want_id=None):
        event = self._share_day_for_member(request, pk)
        want = swaps.withdraw_want(get_object_or_404(SwapWant, pk=want_id, event=event), actor=request.user)
        return Response(SwapWantSerializer(want).data)

    @extend_schema(responses=PairSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="swap/pairs", pagination_class=None)
    def swap_pairs(self, request, pk=None):
        """Your mutual pairs: people who offer a book you want and want a book you offer."""
        event = self._share_day_for_member(request, pk)
        return Response(PairSerializer(swaps.mutual_pairs(event, request.user), many=True).data)

    @extend_schema(request=MatchingRequestSerializer, responses={201: MatchingRunSerializer})
    @action(detail=True, methods=["post"], url_path="swap/matching")
    def swap_matching(self, request, pk=None):
        """Find swap rings of up to 4 students moving the most books, next to pairs alone (organizer)."""
        event = self._event(pk)
        serializer = MatchingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = swaps.run_matching(event, actor=request.user, **serializer.validated_data)
        return Response(MatchingRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=SwapRingSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="swap/rings", pagination_class=None)
    def swap_rings(self, request, pk=None):
        """Rings of the share day: all (organizer, staff) or yours."""
        event = self._share_day_for_member(request, pk)
        everyone = can_organize(request.user, event.organization) or is_staff(request.user)
        return Response(SwapRingSerializer(swaps.rings_of(event, request.user, everyone=everyone), many=True).data)

    def _ring(self, request, pk, ring_id):
        event = self._share_day_for_member(request, pk)
        return get_object_or_404(SwapRing, pk=ring_id, event=event)

    @extend_schema(request=None, responses=SwapRingSerializer)
    @action(detail=True, methods=["post"], url_path=rf"swap/rings/(?P<ring_id>{ID})/confirm")
    def confirm_ring(self, request, pk=None, ring_id=None):
        """Confirm your part of a proposed ring; the last confirmation fixes it."""
        ring = swaps.confirm_ring(self._ring(request, pk, ring_id), actor=request.user)
        return Response(SwapRingSerializer(swaps.rings_of(ring.event, request.user, everyone=True).get(pk=ring.pk)).data)

    @extend_schema(request=EventOptionalReasonSerializer, responses=SwapRingSerializer)
    @action(detail=True, methods=["post"], url_path=rf"swap/rings/(?P<ring_id>{ID})/decline")
    def decline_ring(self, request, pk=None, ring_id=None):
        """Decline a proposed ring: it is dissolved and its books go back to the pool."""
        serializer = EventOptionalReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ring = swaps.decline_ring(self._ring(request, pk, ring_id), actor=request.user,
                                  reason=serializer.validated_data["reason"])
        return Response(SwapRingSerializer(swaps.rings_of(ring.event, request.user, everyone=True).get(pk=ring.pk)).data)


class PassQRView(PNGView):
    """The QR code of a pass, as a PNG (its holder, staff). The door checks passes in by their
    code, so nobody else needs the image of someone's pass."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No such pass")})
    def get(self, request, pk, pass_id):
        event = visible_event(request, pk)
        event_pass = get_object_or_404(EventPass, pk=pass_id, event=event)
        if event_pass.holder_id != request.user.pk and not is_staff(request.user):
            raise NotAllowed(_("Only the holder of this pass may show it."))
        return _file(attendance.qr_png(event_pass), "image/png", f"pass-{event_pass.code}.png")


class EventCalendarView(FileView):
    """The event as an iCalendar file (.ics), for anyone who may see the event."""

    permission_classes = [AllowAny]
    renderer_classes = [ICalendarRenderer, JSONRenderer]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No such event")})
    def get(self, request, pk):
        event = visible_event(request, pk)
        return _file(calendar.render([event], name=event.title), "text/calendar; charset=utf-8", f"event-{event.pk}.ics")


class OrganizationCalendarView(FileView):
    """An organization's events (published, ongoing, finished and cancelled ones) as an iCalendar feed."""

    permission_classes = [AllowAny]
    renderer_classes = [ICalendarRenderer, JSONRenderer]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No such organization")})
    def get(self, request, organization_id):
        organization = get_object_or_404(Organization, pk=organization_id)
        if not organization.is_verified and not (is_member(request.user, organization) or is_staff(request.user)):
            raise NotAllowed(_("This organization is not verified yet."))
        events = (selectors.visible_events(request.user).filter(organization=organization)
                  .exclude(state=EventState.DRAFT).select_related("organization").order_by("starts_at", "id"))
        return _file(calendar.render(events, name=organization.name), "text/calendar; charset=utf-8",
                     f"organization-{organization.pk}-events.ics")


def _spreadsheet_safe(value) -> str:
    """Text people typed (titles, names) never runs as a formula when the organizer opens the CSV
    in a spreadsheet: a leading = + - @ (or tab, carriage return) is quoted with an apostrophe."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class ShareDayReportCSVView(FileView):
    """A share day's exchanges as CSV, one line per book (organizer, staff)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [CSVRenderer, JSONRenderer]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        event = visible_event(request, pk)
        if not is_staff(request.user):
            require_organizer(request.user, event.organization)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["mode", "isbn", "title", "subject", "school_grade", "grade", "giver", "receiver", "at"])
        for row in selectors.share_day_exchanges(event):
            writer.writerow([_spreadsheet_safe(value) for value in (
                row["mode"], row["isbn"], row["title"], row["subject"], row["school_grade"], row["condition"],
                row["giver"], row["receiver"], row["at"].isoformat() if row["at"] else "")])
        # A byte-order mark so that spreadsheet programs read the Chinese as UTF-8.
        return _file("\ufeff" + buffer.getvalue(), "text/csv; charset=utf-8", f"share-day-{event.pk}.csv")


# --- sharing corners, books and credits ---------------------------------------------------------

class CornerFilter(filters.FilterSet):
    organization = IdFilter(field_name="organization_id")

    class Meta:
        model = SharingCorner
        fields = ["organization", "is_active"]


class CornerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sharing corners of the schools where you are a student, teacher or administrator (staff: all)."""

    serializer_class = CornerSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = ID
    queryset = SharingCorner.objects.none()
    filterset_class = CornerFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SharingCorner.objects.none()
        corners = SharingCorner.objects.annotate(in_stock=Count("copies", filter=Q(copies__status=CopyStatus.IN_STOCK)))
        user = self.request.user
        if is_staff(user):
            return corners.order_by("organization_id", "id")
        allowed = set(campus_organization_ids(user)) | set(user_org_ids(user, Role.ADMIN))
        return corners.filter(organization_id__in=allowed).order_by("organization_id", "id")

    @extend_schema(request=CornerWriteSerializer, responses={201: CornerSerializer})
    def create(self, request):
        """A sharing corner of a verified school (its administrators)."""
        serializer = CornerWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        corner = books.create_corner(actor=request.user, **serializer.validated_data)
        return Response(CornerSerializer(self.get_queryset().get(pk=corner.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CornerUpdateSerializer, responses=CornerSerializer)
    def partial_update(self, request, pk=None):
        corner = self.get_object()
        serializer = CornerUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        books.update_corner(corner, actor=request.user, **serializer.validated_data)
        return Response(CornerSerializer(self.get_queryset().get(pk=corner.pk)).data)

    @extend_schema(responses=CornerStockSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def stock(self, request, pk=None):
        """What is on the shelf, by subject and grade."""
        return Response(CornerStockSerializer(selectors.corner_stock(self.get_object())).data)

    @extend_schema(methods=["get"], responses=BookCopySerializer(many=True),
                   parameters=[OpenApiParameter("status", enum=["in_stock", "taken"])])
    @extend_schema(methods=["post"], request=DepositSerializer, responses={201: BookCopySerializer})
    @action(detail=True, methods=["get", "post"])
    def books(self, request, pk=None):
        """GET: the books of the corner (on the shelf by default); POST: record a deposit (keepers)."""
        corner = self.get_object()
        if request.method == "POST":
            serializer = DepositSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            copy = books.deposit_book(corner, actor=request.user, **serializer.validated_data)
            return Response(BookCopySerializer(self._copies(corner).get(pk=copy.pk)).data, status=status.HTTP_201_CREATED)
        wanted = request.query_params.get("status", CopyStatus.IN_STOCK)
        if wanted not in CopyStatus.values:
            raise ValidationError({"status": [_("Use in_stock or taken.")]})
        page = self.paginate_queryset(self._copies(corner).filter(status=wanted))
        return self.get_paginated_response(BookCopySerializer(page, many=True).data)

    @staticmethod
    def _copies(corner):
        return BookCopy.objects.filter(corner=corner).select_related("record").order_by("-deposited_at", "-id")

    @extend_schema(request=TakeSerializer, responses=BookCopySerializer)
    @action(detail=True, methods=["post"], url_path=rf"books/(?P<copy_id>{ID})/take")
    def take(self, request, pk=None, copy_id=None):
        """Take a book off the shelf for its credits (yourself; keepers may record it for a member)."""
        corner = self.get_object()
        copy = get_object_or_404(BookCopy, pk=copy_id, corner=corner)
        serializer = TakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = books.take_book(copy, actor=request.user, member=serializer.validated_data["member"])
        return Response(BookCopySerializer(self._copies(corner).get(pk=copy.pk)).data)


class BookLookupView(APIView):
    """What the project knows of an ISBN, to pre-fill a deposit, offer or wish (signed in)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("isbn", required=True)], responses=BookPrefillSerializer)
    def get(self, request):
        isbn = books.normalize_isbn(request.query_params.get("isbn", ""))
        known = books.prefill(isbn)
        blank = dict.fromkeys(books.RECORD_FIELDS, "")
        return Response(BookPrefillSerializer({"isbn": isbn, "known": known is not None,
                                               "source": (known or {}).get("source"), **blank,
                                               **{k: v for k, v in (known or {}).items() if k in blank}}).data)


class CreditAccountView(APIView):
    """A member's credits at a school: balance and ledger (the member; the school's keepers; staff)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("member", int, description="Keepers: whose account")],
                   responses=CreditAccountSerializer)
    def get(self, request, organization_id):
        organization = get_object_or_404(Organization, pk=organization_id)
        member_id = request.query_params.get("member")
        member = request.user
        if member_id not in (None, "", str(request.user.pk)):
            if not (books.can_keep_corner(request.user, organization) or is_staff(request.user)):
                raise NotAllowed(_("Only the school's teachers and administrators see others' credits."))
            if not is_id(member_id):
                raise ValidationError({"member": [_("A user id.")]})
            member = get_object_or_404(User, pk=int(member_id))
        elif not (is_campus_member(request.user, organization) or is_staff(request.user)):
            raise NotAllowed(_("Only students and teachers of %(org)s have credits there.") % {"org": organization.name})
        entries = (CreditEntry.objects.filter(account__organization=organization, account__member=member)
                   .order_by("-created_at", "-id"))[:200]
        return Response(CreditAccountSerializer({
            "organization": organization.pk, "member": member.pk,
            "balance": books.balance(organization, member), "entries": list(entries),
        }).data)

