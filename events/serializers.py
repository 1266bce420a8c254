"""Shapes of the events API: field validation only; the rules live in the service modules."""
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Organization, User
from events import codes
from events.models import (
    BookCopy,
    BookingMode,
    BookingStatus,
    Event,
    EventAuditRecord,
    EventKind,
    EventPass,
    EventState,
    Rsvp,
    SharingCorner,
    StallBooking,
    SwapMatchingRun,
    SwapOffer,
    SwapRing,
    SwapWant,
    Visibility,
)
from listings.models import Category

# --- events -------------------------------------------------------------------------------------


class EventOrganizerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    city = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    """An event as those allowed to see it see it."""

    organization = EventOrganizerSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    registration_open = serializers.SerializerMethodField()
    stall_count = serializers.IntegerField(read_only=True, default=None)
    going_count = serializers.IntegerField(read_only=True, default=None)
    distance_km = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id", "organization", "kind", "kind_display", "title", "title_zh", "title_en", "description",
            "description_zh", "description_en", "venue_address", "latitude", "longitude", "time_zone", "starts_at",
            "ends_at", "registration_opens_at", "registration_closes_at", "registration_open", "visibility",
            "capacity", "going_count", "stall_count", "booking_mode", "corner", "state", "state_display",
            "published_at", "cancel_reason", "lottery_commitment", "lottery_drawn_at", "distance_km",
        ]
        read_only_fields = fields

    def get_registration_open(self, obj) -> bool:
        now = timezone.now()
        return obj.state == EventState.PUBLISHED and obj.registration_opens_at <= now < obj.registration_closes_at

    def get_distance_km(self, obj) -> float | None:
        distance = getattr(obj, "distance_km", None)
        return None if distance is None else round(float(distance), 2)


class EventWriteSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    kind = serializers.ChoiceField(choices=EventKind.choices)
    title_zh = serializers.CharField(max_length=120)
    title_en = serializers.CharField(max_length=120, required=False, allow_blank=True)
    description_zh = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    venue_address = serializers.CharField(max_length=255)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("-90"), max_value=Decimal("90"))
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("-180"),
                                         max_value=Decimal("180"))
    time_zone = serializers.CharField(max_length=64, required=False)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    registration_opens_at = serializers.DateTimeField(required=False)
    registration_closes_at = serializers.DateTimeField(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)
    booking_mode = serializers.ChoiceField(choices=BookingMode.choices, required=False)
    corner = serializers.PrimaryKeyRelatedField(queryset=SharingCorner.objects.all(), required=False, allow_null=True)


class EventUpdateSerializer(EventWriteSerializer):
    """PATCH: every field optional; the organization never changes."""

    organization = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class EventOptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EventCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AuditRecordSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = EventAuditRecord
        fields = ["id", "subject", "subject_id", "action", "from_state", "to_state", "reason", "detail", "actor",
                  "created_at"]
        read_only_fields = fields

    def get_actor(self, obj) -> str | None:
        return str(obj.actor.public_name) if obj.actor_id else None


# --- stalls and bookings ------------------------------------------------------------------------

class StallSpecSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=9999)
    size = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    fee = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=Decimal("0"), required=False,
                                   default=Decimal("0"))
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True,
                                                  default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StallPlanSerializer(serializers.Serializer):
    stalls = StallSpecSerializer(many=True, max_length=2000)


class StallSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.CharField()
    fee = serializers.DecimalField(max_digits=7, decimal_places=2)
    category = serializers.IntegerField(source="category_id", allow_null=True)
    category_name = serializers.SerializerMethodField()
    note = serializers.CharField()
    booked = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField(help_text=_("Only the organizer sees who holds a stall."))

    def get_category_name(self, obj) -> str | None:
        return obj.category.name if obj.category_id else None

    def get_booked(self, obj) -> bool:
        return bool(obj.holding)

    def get_holder(self, obj) -> str | None:
        if not self.context.get("organizer") or not obj.holding:
            return None
        return str(obj.holding[0].holder.public_name)


class PassSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="display_code", read_only=True)
    qr_payload = serializers.SerializerMethodField()
    qr_url = serializers.SerializerMethodField()
    stall = serializers.SerializerMethodField()

    class Meta:
        model = EventPass
        fields = ["id", "event", "kind", "code", "qr_payload", "qr_url", "stall", "checked_in_at", "revoked_at"]
        read_only_fields = fields

    def get_qr_payload(self, obj) -> str:
        return codes.qr_payload(obj.event_id, obj.code)

    def get_qr_url(self, obj) -> str:
        path = f"/api/v1/events/{obj.event_id}/passes/{obj.pk}/qr.png"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_stall(self, obj) -> int | None:
        booking = obj.booking
        return booking.stall.number if booking is not None and booking.stall_id else None


class BookingSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    stall = serializers.SerializerMethodField()
    preferred_stall = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField()
    pass_code = serializers.SerializerMethodField()

    class Meta:
        model = StallBooking
        fields = ["id", "event", "status", "status_display", "stall", "preferred_stall", "queue_position",
                  "lottery_rank", "offer_expires_at", "note", "holder", "pass_code", "created_at"]
        read_only_fields = fields

    def get_stall(self, obj) -> int | None:
        return obj.stall.number if obj.stall_id and obj.status in (BookingStatus.CONFIRMED, BookingStatus.OFFERED) else None

    def get_preferred_stall(self, obj) -> int | None:
        return obj.preferred_stall.number if obj.preferred_stall_id else None

    def get_holder(self, obj) -> str:
        return str(obj.holder.public_name)

    def get_pass_code(self, obj) -> str | None:
        event_pass = getattr(obj, "event_pass", None)
        if event_pass is None or event_pass.revoked_at is not None:
            return None
        return event_pass.display_code


class BookingRequestSerializer(serializers.Serializer):
    stall = serializers.IntegerField(min_value=1, max_value=9999, required=False, allow_null=True, default=None,
                                     help_text=_("A stall number; leave out for the lowest free one."))
    join_waitlist = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LotteryEntrySerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    rank = serializers.IntegerField()
    ticket = serializers.CharField()
    stall = serializers.IntegerField(allow_null=True)
    waitlist = serializers.IntegerField(allow_null=True)


class LotterySerializer(serializers.Serializer):
    commitment = serializers.CharField()
    seed = serializers.CharField(allow_null=True)
    drawn_at = serializers.DateTimeField(allow_null=True)
    requests = serializers.IntegerField()
    entries = LotteryEntrySerializer(many=True)


class RsvpSerializer(serializers.ModelSerializer):
    event_pass = PassSerializer(read_only=True)

    class Meta:
        model = Rsvp
        fields = ["id", "event", "status", "event_pass", "created_at"]
        read_only_fields = fields


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=_("The typed code (ABCD-EFGH) or the scanned QR payload."))


class CheckInResultSerializer(serializers.Serializer):
    pass_id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    holder = serializers.SerializerMethodField()
    stall = serializers.SerializerMethodField()
    checked_in_at = serializers.DateTimeField()

    def get_holder(self, obj) -> str:
        return str(obj.holder.public_name)

    def get_stall(self, obj) -> int | None:
        return obj.booking.stall.number if obj.booking_id else None


class ExpectedArrivedSerializer(serializers.Serializer):
    expected = serializers.IntegerField()
    arrived = serializers.IntegerField()


class StallArrivalSerializer(serializers.Serializer):
    stall = serializers.IntegerField()
    booked = serializers.BooleanField()
    arrived = serializers.BooleanField()
    arrived_at = serializers.DateTimeField(allow_null=True)


class HourArrivalSerializer(serializers.Serializer):
    hour = serializers.DateTimeField()
    sellers = serializers.IntegerField()
    visitors = serializers.IntegerField()


class ArrivalsSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    sellers = ExpectedArrivedSerializer()
    visitors = ExpectedArrivedSerializer()
    by_stall = StallArrivalSerializer(many=True)
    by_hour = HourArrivalSerializer(many=True)


class AttachListingSerializer(serializers.Serializer):
    listing = serializers.IntegerField(min_value=1)


class EventListingSerializer(serializers.Serializer):
    listing = serializers.IntegerField(source="listing_id")
    title = serializers.CharField(source="listing.title")
    price = serializers.DecimalField(source="listing.price", max_digits=9, decimal_places=2)
    state = serializers.CharField(source="listing.state")
    category = serializers.CharField(source="listing.category.name")
    seller = serializers.SerializerMethodField()
    stall = serializers.IntegerField(source="booking.stall.number")

    def get_seller(self, obj) -> str:
        return str(obj.listing.seller.public_name)


# --- corners, books and credits -----------------------------------------------------------------

class OpeningSlotSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=7), min_length=1, max_length=7)
    opens = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$")
    closes = serializers.RegexField(r"^([01]\d|2[0-3]):[0-5]\d$")


class CornerSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    place = serializers.CharField(read_only=True)
    opening_hours = OpeningSlotSerializer(many=True, read_only=True)
    in_stock = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = SharingCorner
        fields = ["id", "organization", "name", "name_zh", "name_en", "place", "place_zh", "place_en",
                  "opening_hours", "is_active", "in_stock"]
        read_only_fields = fields


class CornerWriteSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    name_zh = serializers.CharField(max_length=80)
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    place_zh = serializers.CharField(max_length=200)
    place_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    opening_hours = OpeningSlotSerializer(many=True, required=False, default=list, max_length=28)


class CornerUpdateSerializer(serializers.Serializer):
    name_zh = serializers.CharField(max_length=80, required=False)
    name_en = serializers.CharField(max_length=80, required=False, allow_blank=True)
    place_zh = serializers.CharField(max_length=200, required=False)
    place_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    opening_hours = OpeningSlotSerializer(many=True, required=False, max_length=28)
    is_active = serializers.BooleanField(required=False)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class SubjectCountSerializer(CountSerializer):
    subject = serializers.CharField()


class GradeCountSerializer(CountSerializer):
    grade = serializers.CharField()


class CornerStockSerializer(serializers.Serializer):
    corner = serializers.IntegerField()
    in_stock = serializers.IntegerField()
    taken = serializers.IntegerField()
    by_subject = SubjectCountSerializer(many=True)
    by_grade = GradeCountSerializer(many=True)


class BookDescriptionSerializer(serializers.Serializer):
    """A book as its giver describes it; blanks are filled from what the project knows of the ISBN."""

    isbn = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    author = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    edition = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    publisher = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    school_grade = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class DepositSerializer(BookDescriptionSerializer):
    giver = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    grade = serializers.CharField(max_length=8, help_text=_("A level code of the book/1 grading standard."))


class TakeSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                default=None, help_text=_("Keepers: the member taking the book."))


class BookPrefillSerializer(serializers.Serializer):
    isbn = serializers.CharField()
    known = serializers.BooleanField()
    source = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    author = serializers.CharField()
    edition = serializers.CharField()
    publisher = serializers.CharField()
    subject = serializers.CharField()
    school_grade = serializers.CharField()


class BookCopySerializer(serializers.ModelSerializer):
    isbn = serializers.CharField(source="record.isbn", read_only=True)
    title = serializers.CharField(source="record.title", read_only=True)
    author = serializers.CharField(source="record.author", read_only=True)
    edition = serializers.CharField(source="record.edition", read_only=True)
    subject = serializers.CharField(source="record.subject", read_only=True)
    school_grade = serializers.CharField(source="record.school_grade", read_only=True)
    grade = serializers.CharField(source="condition", read_only=True)

    class Meta:
        model = BookCopy
        fields = ["id", "corner", "isbn", "title", "author", "edition", "subject", "school_grade", "grade", "credits",
                  "status", "deposited_at", "taken_at"]
        read_only_fields = fields


class CreditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    kind = serializers.CharField()
    copy = serializers.IntegerField(source="copy_id", allow_null=True)
    created_at = serializers.DateTimeField()


class CreditAccountSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    member = serializers.IntegerField()
    balance = serializers.IntegerField()
    entries = CreditEntrySerializer(many=True)


# --- swap mode ----------------------------------------------------------------------------------

class SwapBookSerializer(serializers.Serializer):
    isbn = serializers.CharField(source="record.isbn")
    title = serializers.CharField(source="record.title")
    author = serializers.CharField(source="record.author")
    subject = serializers.CharField(source="record.subject")
    school_grade = serializers.CharField(source="record.school_grade")


class SwapOfferSerializer(SwapBookSerializer, serializers.ModelSerializer):
    grade = serializers.CharField(source="condition", read_only=True)

    class Meta:
        model = SwapOffer
        fields = ["id", "event", "member", "isbn", "title", "author", "subject", "school_grade", "grade", "status",
                  "created_at"]
        read_only_fields = fields


class SwapWantSerializer(SwapBookSerializer, serializers.ModelSerializer):
    class Meta:
        model = SwapWant
        fields = ["id", "event", "member", "isbn", "title", "author", "subject", "school_grade", "status",
                  "created_at"]
        read_only_fields = fields


class OfferCreateSerializer(BookDescriptionSerializer):
    grade = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")


class PairSerializer(serializers.Serializer):
    partner = serializers.IntegerField()
    gives_offer = serializers.IntegerField()
    receives_offer = serializers.IntegerField()


class MatchingRequestSerializer(serializers.Serializer):
    max_ring_size = serializers.IntegerField(min_value=2, max_value=4, required=False, default=4)


class MatchingRunSerializer(serializers.ModelSerializer):
    extra_books_from_rings = serializers.SerializerMethodField()

    class Meta:
        model = SwapMatchingRun
        fields = ["id", "event", "max_ring_size", "participants", "books_moved", "books_moved_pairs_only",
                  "extra_books_from_rings", "books_bound", "rings_proposed", "solver_status", "wall_ms", "created_at"]
        read_only_fields = fields

    def get_extra_books_from_rings(self, obj) -> int:
        return obj.books_moved - obj.books_moved_pairs_only


class RingLinkSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    giver = serializers.IntegerField(source="giver_id")
    giver_name = serializers.SerializerMethodField()
    receiver = serializers.IntegerField(source="receiver_id")
    receiver_name = serializers.SerializerMethodField()
    offer = serializers.IntegerField(source="offer_id")
    isbn = serializers.CharField(source="offer.record.isbn")
    title = serializers.CharField(source="offer.record.title")
    confirmed = serializers.SerializerMethodField()

    def get_giver_name(self, obj) -> str:
        return str(obj.giver.public_name)

    def get_receiver_name(self, obj) -> str:
        return str(obj.receiver.public_name)

    def get_confirmed(self, obj) -> bool:
        return obj.confirmed_at is not None


class SwapRingSerializer(serializers.ModelSerializer):
    links = RingLinkSerializer(many=True, read_only=True)

    class Meta:
        model = SwapRing
        fields = ["id", "event", "run", "size", "status", "status_changed_at", "dissolved_reason", "links", "created_at"]
        read_only_fields = fields


class SubjectGradeCountSerializer(CountSerializer):
    subject = serializers.CharField()
    school_grade = serializers.CharField()


class ModeCountSerializer(serializers.Serializer):
    swap = serializers.IntegerField()
    credit = serializers.IntegerField()


class ShareDayReportSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    books_exchanged = serializers.IntegerField()
    by_mode = ModeCountSerializer()
    by_subject_and_grade = SubjectGradeCountSerializer(many=True)
    by_condition = GradeCountSerializer(many=True)
    members_taking_part = serializers.IntegerField()
    members_exchanging = serializers.IntegerField()
