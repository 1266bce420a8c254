"""Filters of the event list: kind, organizer, state, dates, upcoming only, near a point."""
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from rest_framework.exceptions import ValidationError

from events import selectors
from events.models import Event, EventKind, EventState
from marketplace.api.filters import IdFilter

MAX_RADIUS_KM = 500


def parse_point(raw: str) -> tuple[float, float]:
    try:
        latitude, longitude = (float(part) for part in raw.split(","))
    except ValueError:
        raise ValidationError({"near": [_("Give the point as <latitude>,<longitude>, e.g. 23.13,113.33.")]}) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError({"near": [_("Latitude is between -90 and 90, longitude between -180 and 180.")]})
    return latitude, longitude


class EventFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=EventKind.choices)
    state = filters.MultipleChoiceFilter(choices=EventState.choices)
    # Ids are compared in the database: beyond 64 bits neither engine can (a 400, not a 500).
    organization = IdFilter(field_name="organization_id")
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lte")
    upcoming = filters.BooleanFilter(method="filter_upcoming", label=_("published or ongoing, not yet over"))
    near = filters.CharFilter(method="filter_near", label=_("<latitude>,<longitude>: nearest first"))
    radius_km = filters.NumberFilter(method="filter_radius", label=_("radius around `near`, km (default 10)"))

    class Meta:
        model = Event
        fields = ["kind", "state", "organization", "starts_after", "starts_before", "upcoming", "near", "radius_km"]

    def filter_upcoming(self, queryset, name, value):
        return selectors.upcoming(queryset, timezone.now()) if value else queryset

    def filter_radius(self, queryset, name, value):
        if value is not None and not self.form.cleaned_data.get("near"):
            raise ValidationError({"radius_km": [_("A radius needs a point: give “near” too.")]})
        return queryset  # the radius itself is read by filter_near

    def filter_near(self, queryset, name, value):
        latitude, longitude = parse_point(value)
        radius = self.form.cleaned_data.get("radius_km")
        radius = 10.0 if radius is None else float(radius)
        if not 0 < radius <= MAX_RADIUS_KM:
            raise ValidationError({"radius_km": [_("The radius is between 0 and %(max)s km.") % {"max": MAX_RADIUS_KM}]})
        return selectors.near(queryset, latitude, longitude, radius)
