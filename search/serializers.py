"""Search parameters (validation only) and the shape of search responses.

The response serializers document the API (OpenAPI schema); the view builds the same JSON
directly (search.views), and tests/search/test_endpoint_response.py holds the two equal."""
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grading.models import Condition
from listings.models import MAX_PRICE, Deal, ListingKind
from search.backends.base import MAX_RESULT_WINDOW, SORTS, SearchQuery
from search.selectors import category_exists

MAX_PAGE_SIZE = 100
MAX_RADIUS_KM = 500


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="",
                              help_text=_("Words to look for, in Chinese or English."))
    category = serializers.IntegerField(required=False, min_value=1,
                                        help_text=_("A category id; its subcategories are included."))
    kind = serializers.ChoiceField(choices=ListingKind.choices, required=False)
    grade = serializers.CharField(required=False, max_length=16,
                                  help_text=_("A grade code of the listing's own standard (P is Premium for a "
                                              "phone, Poor for a book): prefer “condition”."))
    condition = serializers.ChoiceField(choices=Condition.choices, required=False,
                                        help_text=_("A condition level common to every grading standard."))
    min_price = serializers.DecimalField(required=False, max_digits=9, decimal_places=2,
                                         min_value=Decimal("0"), max_value=MAX_PRICE)
    max_price = serializers.DecimalField(required=False, max_digits=9, decimal_places=2,
                                         min_value=Decimal("0"), max_value=MAX_PRICE)
    city = serializers.CharField(required=False, max_length=40)
    certified = serializers.BooleanField(required=False, allow_null=True, default=None)
    inspected = serializers.BooleanField(required=False, allow_null=True, default=None)
    deal = serializers.ChoiceField(choices=Deal.choices, required=False,
                                   help_text=_("giveaway (免费送) or swap: listings that never take payment; sale: the others."))
    event = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                     help_text=_("An event id: what sellers bring to it; cards then show their stall number."))
    near = serializers.CharField(required=False, max_length=40, help_text=_("A point as “latitude,longitude”."))
    radius_km = serializers.FloatField(required=False, min_value=0.1, max_value=MAX_RADIUS_KM)
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
    page = serializers.IntegerField(required=False, min_value=1, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=20)

    def validate_category(self, value):
        if not category_exists(value):
            raise serializers.ValidationError(_("There is no category with this id."))
        return value

    def validate_near(self, value):
        parts = value.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise serializers.ValidationError(_("Give a point as “latitude,longitude”, e.g. 23.13,113.26.")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise serializers.ValidationError(_("Latitude must be within ±90 and longitude within ±180."))
        return (lat, lon)

    def validate_q(self, value):
        return value.strip()

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": [_("The minimum price is above the maximum price.")]})
        if attrs.get("radius_km") is not None and not attrs.get("near"):
            raise serializers.ValidationError({"radius_km": [_("A radius needs a point: give “near” too.")]})
        if attrs.get("sort") == "distance" and not attrs.get("near"):
            raise serializers.ValidationError({"sort": [_("Sorting by distance needs a point: give “near” too.")]})
        if attrs["page"] * attrs["page_size"] > MAX_RESULT_WINDOW:
            raise serializers.ValidationError(
                {"page": [_("Only the first %(n)s results can be paged through; narrow the search.") % {"n": MAX_RESULT_WINDOW}]}
            )
        return attrs

    @classmethod
    def parse(cls, query_params) -> SearchQuery:
        """Validated parameters as a SearchQuery; raises ValidationError (a 400 in the error shape)
        exactly as `is_valid(raise_exception=True)` would.

        One shared instance validates every request: DRF deep-copies a serializer's fields for
        each new instance (half a millisecond for these sixteen), and validation keeps no state
        on the instance, so sharing it across threads is safe.
        """
        return cls.parse_with_event(query_params)[0]

    @classmethod
    def parse_with_event(cls, query_params) -> tuple[SearchQuery, int | None]:
        """As `parse`, and the event id named by `event` (the view narrows the query to the
        listings brought to that event, which depends on who asks)."""
        shared = cls.__dict__.get("_shared")
        if shared is None:
            shared = cls._shared = cls()
        data = shared.run_validation(query_params)
        return cls.query_from(data), data.get("event")

    @staticmethod
    def query_from(data) -> SearchQuery:
        return SearchQuery(
            q=data.get("q", ""), category=data.get("category"), kind=data.get("kind"), grade=data.get("grade"),
            condition=data.get("condition"),
            min_price=data.get("min_price"), max_price=data.get("max_price"), city=data.get("city"),
            certified=data.get("certified"), inspected=data.get("inspected"), deal=data.get("deal"), near=data.get("near"),
            radius_km=data.get("radius_km"), sort=data["sort"], page=data["page"], page_size=data["page_size"],
        )


class SuggestParamsSerializer(serializers.Serializer):
    prefix = serializers.CharField(max_length=50, trim_whitespace=True,
                                   help_text=_("The beginning of a title or category name."))
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=10)


class HighlightsSerializer(serializers.Serializer):
    title = serializers.ListField(child=serializers.CharField(), required=False)
    description = serializers.ListField(child=serializers.CharField(), required=False)


class SearchCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)
    city = serializers.CharField()
    district = serializers.CharField()
    grade = serializers.CharField(source="grade_code")
    kind = serializers.CharField()
    deal = serializers.CharField(help_text=_("sale, giveaway or swap."))
    cover_thumbnail_url = serializers.CharField(allow_null=True)
    highlights = HighlightsSerializer(help_text=_("Matched words in <em>..</em>; the rest is HTML-escaped."))
    distance_km = serializers.FloatField(allow_null=True)
    stall = serializers.IntegerField(allow_null=True,
                                     help_text=_("With `event`: the number of the stall the listing will be at."))


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    category = FacetValueSerializer(many=True)
    kind = FacetValueSerializer(many=True)
    grade = FacetValueSerializer(many=True)
    condition = FacetValueSerializer(many=True, help_text=_("Condition levels, labelled in the request's language."))
    city = FacetValueSerializer(many=True)
    price = FacetValueSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Exact up to 10,000; a lower bound beyond (see total_is_exact)."))
    total_is_exact = serializers.BooleanField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = SearchCardSerializer(many=True)
    facets = FacetsSerializer()
    took_ms = serializers.FloatField()


class SuggestResponseSerializer(serializers.Serializer):
    suggestions = serializers.ListField(child=serializers.CharField())
