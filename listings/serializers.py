"""Shapes of listings, categories, photos, favourites and reports. Rules live in services/lifecycle."""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from grading.models import AssessmentSource
from listings.models import (
    MAX_PRICE,
    Category,
    Deal,
    Favourite,
    HandoverOption,
    Listing,
    ListingChange,
    ListingKind,
    ListingPhoto,
    ListingReport,
    ListingTransition,
    ReportReason,
)
from listings.permissions import can_manage
from listings.selectors import category_path


class CategorySummarySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class CategoryTreeSerializer(serializers.ModelSerializer):
    """A category with its children (built in memory from one query by the view)."""

    name = serializers.CharField(read_only=True)

    class Meta:
        model = Category
        fields = [
            "id", "slug", "name", "name_zh", "name_en", "parent", "grading_standard_code", "requires_data_erasure",
            "attribute_schema", "children",
        ]
        read_only_fields = fields


# Declared after the class so the field can refer to the class itself (a recursive tree).
CategoryTreeSerializer._declared_fields["children"] = CategoryTreeSerializer(
    many=True, read_only=True, source="child_nodes"
)


class PublicSellerSerializer(serializers.Serializer):
    """What buyers see of a seller: the public name only, never e-mail or phone."""

    id = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(source="public_name", read_only=True)


class OrganizationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    is_verified = serializers.BooleanField(read_only=True)


class GradeSerializer(serializers.Serializer):
    code = serializers.CharField(source="grade.code")
    label = serializers.CharField(source="grade.label")
    standard = serializers.CharField(source="standard.label")
    assessed_at = serializers.DateTimeField(source="created_at")


def _absolute(request, field_file):
    if not field_file:
        return None
    url = field_file.url
    return request.build_absolute_uri(url) if request is not None else url


class PhotoSerializer(serializers.ModelSerializer):
    display_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    duplicate_of_listing = serializers.SerializerMethodField(
        help_text="Staff only: the other seller's listing that already uses this picture."
    )

    class Meta:
        model = ListingPhoto
        fields = [
            "id", "position", "width", "height", "ready", "display_url", "thumbnail_url", "duplicate_of_listing",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"ready": {"help_text": "False until the display and thumbnail are made (a task after the "
                                               "upload); only ready photos are shown on the listing."}}

    def get_display_url(self, photo) -> str | None:
        return _absolute(self.context.get("request"), photo.display)

    def get_thumbnail_url(self, photo) -> str | None:
        return _absolute(self.context.get("request"), photo.thumbnail)

    def get_duplicate_of_listing(self, photo) -> int | None:
        request = self.context.get("request")
        if request is None or not request.user.is_staff or photo.duplicate_of_id is None:
            return None
        return photo.duplicate_of.listing_id


def _photos(listing, *, ready_only=True):
    """The listing's photos in order; by default only those whose derivatives exist (what is shown)."""
    cached = getattr(listing, "ordered_photos", None)
    photos = cached if cached is not None else list(listing.photos.order_by("position", "id"))
    return [photo for photo in photos if photo.ready] if ready_only else photos


def _assessment(listing, source):
    for assessment in getattr(listing, "current_assessments", None) or []:
        if assessment.source == source:
            return assessment
    return None


class ListingCardSerializer(serializers.ModelSerializer):
    """A listing in a list: enough for a search result card."""

    seller = PublicSellerSerializer(read_only=True)
    organization = OrganizationSummarySerializer(read_only=True, allow_null=True)
    category = CategorySummarySerializer(read_only=True)
    cover_thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = [
            "id", "title", "kind", "state", "price", "deal", "swap_wanted", "negotiable", "quantity", "city",
            "district", "category",
            "seller", "organization", "grade_code", "grade_source", "grade_mismatch", "cover_thumbnail_url",
            "published_at",
        ]
        read_only_fields = fields

    def get_cover_thumbnail_url(self, listing) -> str | None:
        photos = _photos(listing)
        return _absolute(self.context.get("request"), photos[0].thumbnail) if photos else None


class ListingDetailSerializer(ListingCardSerializer):
    category_path = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    declared_grade = serializers.SerializerMethodField()
    inspected_grade = serializers.SerializerMethodField()
    favourite_count = serializers.IntegerField(read_only=True, default=0)
    is_favourite = serializers.BooleanField(read_only=True, default=False)
    is_owner = serializers.SerializerMethodField()
    suspension_reason = serializers.SerializerMethodField(help_text="Only for the seller and staff.")
    suspension_sources = serializers.SerializerMethodField(help_text="Only for the seller and staff.")

    class Meta(ListingCardSerializer.Meta):
        fields = [
            *ListingCardSerializer.Meta.fields, "description", "handover_options", "latitude", "longitude",
            "attributes", "category_path", "photos", "declared_grade", "inspected_grade", "favourite_count",
            "is_favourite", "view_count", "expires_at", "created_at", "updated_at", "is_owner",
            "suspension_reason", "suspension_sources",
        ]
        read_only_fields = fields

    def _insider(self, listing) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and (user.is_staff or can_manage(user, listing)))

    @extend_schema_field(CategorySummarySerializer(many=True))
    def get_category_path(self, listing):
        categories = self.context.get("categories") or {listing.category_id: listing.category}
        return CategorySummarySerializer(category_path(listing.category_id, categories), many=True).data

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, listing):
        return PhotoSerializer(_photos(listing), many=True, context=self.context).data

    @extend_schema_field(GradeSerializer(allow_null=True))
    def get_declared_grade(self, listing):
        assessment = _assessment(listing, AssessmentSource.SELF_DECLARED)
        return GradeSerializer(assessment).data if assessment else None

    @extend_schema_field(GradeSerializer(allow_null=True))
    def get_inspected_grade(self, listing):
        assessment = _assessment(listing, AssessmentSource.INSPECTION)
        return GradeSerializer(assessment).data if assessment else None

    def get_is_owner(self, listing) -> bool:
        request = self.context.get("request")
        return bool(request and can_manage(request.user, listing))

    def get_suspension_reason(self, listing) -> str | None:
        return listing.suspension_reason if self._insider(listing) else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_suspension_sources(self, listing):
        return list(listing.suspension_sources) if self._insider(listing) else None


@extend_schema_field({
    "oneOf": [{"type": "integer"}, {"type": "string"}],
    "description": "A category id (12) or slug (\"novels\").",
})
class CategoryReferenceField(serializers.Field):
    """A category given by its id or by its slug (what a client that read the tree has at hand)."""

    default_error_messages = {
        "invalid": _("Give a category id or slug."),
        "unknown": _("There is no category “{value}”: give a category id or slug."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or not str(data).strip():
            self.fail("invalid")
        wanted = str(data).strip()
        category = Category.objects.filter(**{"pk": int(wanted)} if wanted.isdigit() else {"slug": wanted}).first()
        if category is None:
            self.fail("unknown", value=wanted)
        return category

    def to_representation(self, value):
        return value.pk


class _ListingInputSerializer(serializers.Serializer):
    """Shape of the fields a seller writes; the service checks the rules (prices, owners, schema)."""

    category = CategoryReferenceField()
    kind = serializers.ChoiceField(choices=ListingKind.choices, default=ListingKind.SECOND_HAND)
    title = serializers.CharField(max_length=120, min_length=2)
    description = serializers.CharField(max_length=5000, allow_blank=True, default="")
    price = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=Decimal("0"), max_value=MAX_PRICE,
                                     help_text="More than 0 for a sale; 0 for a giveaway; for a swap, what you value it at.")
    deal = serializers.ChoiceField(choices=Deal.choices, default=Deal.SALE,
                                   help_text="sale, giveaway (免费送, price 0) or swap; giveaways and swaps never take payment.")
    swap_wanted = serializers.CharField(max_length=200, allow_blank=True, default="",
                                        help_text="For a swap: what you would take in exchange.")
    negotiable = serializers.BooleanField(default=False)
    quantity = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    handover_options = serializers.ListField(
        child=serializers.ChoiceField(choices=HandoverOption.choices), min_length=1, max_length=3,
        default=[HandoverOption.PICKUP],
    )
    city = serializers.CharField(max_length=40)
    district = serializers.CharField(max_length=40, allow_blank=True, default="")
    # Any precision is accepted; the service rounds to 0.01 degree (about 1 km) before storing.
    latitude = serializers.FloatField(min_value=-90, max_value=90, allow_null=True, default=None)
    longitude = serializers.FloatField(min_value=-180, max_value=180, allow_null=True, default=None)
    attributes = serializers.DictField(default=dict)

    def validate(self, attrs):
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None) and not self.partial:
            raise serializers.ValidationError({"longitude": [_("Give both latitude and longitude, or neither.")]})
        # A sale needs a price above 0 (a giveaway is 0): when both are given, say so as a field error.
        if attrs.get("deal", None if self.partial else Deal.SALE) == Deal.SALE and attrs.get("price") == 0:
            raise serializers.ValidationError(
                {"price": [_("The price must be more than 0; to give the item away, choose the deal “giveaway”.")]})
        return attrs


class ListingCreateSerializer(_ListingInputSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), allow_null=True, default=None,
        help_text="Sell as this organization (you must be a member; it must be verified).",
    )


class ListingUpdateSerializer(_ListingInputSerializer):
    """PATCH: every field optional."""

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True  # fields left out keep their value; defaults do not apply
        super().__init__(*args, **kwargs)


class ListingReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class SuspendReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PhotoUploadSerializer(serializers.Serializer):
    # A plain file: the image pipeline (marketplace.images) decides whether it really is an image.
    image = serializers.FileField()


class PhotoOrderSerializer(serializers.Serializer):
    photo_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=100)


class ListingChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingChange
        fields = ["id", "field", "old_value", "new_value", "created_at"]
        read_only_fields = fields


class TransitionSerializer(serializers.ModelSerializer):
    actor = PublicSellerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ListingTransition
        fields = ["id", "from_state", "to_state", "reason", "source", "actor", "created_at"]
        read_only_fields = fields


class FavouriteSerializer(serializers.ModelSerializer):
    listing = ListingCardSerializer(read_only=True)

    class Meta:
        model = Favourite
        fields = ["id", "listing", "created_at"]
        read_only_fields = fields


class ReportReasonField(serializers.ChoiceField):
    """A report reason; a value that is not one is refused with the list of those that are."""

    def __init__(self, **kwargs):
        super().__init__(choices=ReportReason.choices, **kwargs)

    def to_internal_value(self, data):
        if str(data) not in self.choice_strings_to_values:
            raise serializers.ValidationError(
                _("“%(value)s” is not a reason: give one of %(reasons)s.")
                % {"value": data, "reasons": ", ".join(ReportReason.values)},
                code="invalid_choice",
            )
        return super().to_internal_value(data)


class ReportCreateSerializer(serializers.Serializer):
    reason = ReportReasonField(help_text=f"One of: {', '.join(ReportReason.values)} (what each means: the enum).")
    details = serializers.CharField(max_length=2000, allow_blank=True, default="")


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListingReport
        fields = ["id", "listing", "reason", "details", "status", "created_at"]
        read_only_fields = fields


class ModerationReportSerializer(serializers.ModelSerializer):
    """A report as staff see it: the listing, who reported it (null when the system did), how it ended."""

    listing = ListingCardSerializer(read_only=True)
    reporter = PublicSellerSerializer(read_only=True, allow_null=True)
    handled_by = PublicSellerSerializer(read_only=True, allow_null=True)
    duplicate_photos = serializers.SerializerMethodField()

    class Meta:
        model = ListingReport
        fields = [
            "id", "listing", "reporter", "reason", "details", "status", "handled_by", "handled_at", "resolution",
            "created_at", "duplicate_photos",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_duplicate_photos(self, report):
        """Photos of the listing flagged as reused from another seller: {photo, duplicate_of_listing}."""
        return [
            {"photo": photo.pk, "duplicate_of_listing": photo.duplicate_of.listing_id}
            for photo in _photos(report.listing, ready_only=False)
            if photo.duplicate_of_id is not None and photo.duplicate_of is not None
        ]
