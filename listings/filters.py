"""Query filters of the listing list. Which listings are visible at all is decided by the view."""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from grading.conditions import grades_in
from grading.models import Condition
from listings.models import Listing, ListingKind, ListingState
from listings.selectors import category_map, descendant_ids


class ListingFilter(filters.FilterSet):
    category = filters.NumberFilter(method="filter_category", label=_("Category (and every category below it)"))
    kind = filters.ChoiceFilter(choices=ListingKind.choices)
    grade = filters.CharFilter(field_name="grade_code", label=_("Effective grade code"))
    condition = filters.ChoiceFilter(choices=Condition.choices, method="filter_condition",
                                     label=_("Condition level, common to every grading standard"))
    min_price = filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = filters.NumberFilter(field_name="price", lookup_expr="lte")
    city = filters.CharFilter()
    district = filters.CharFilter()
    seller = filters.CharFilter(method="filter_seller", label=_("Seller id, or “me”"))
    organization = filters.NumberFilter(field_name="organization_id")
    state = filters.MultipleChoiceFilter(choices=ListingState.choices)
    negotiable = filters.BooleanFilter()
    mine = filters.BooleanFilter(method="filter_noop", label=_("Only my listings, in every state"))
    ordering = filters.OrderingFilter(fields=(("price", "price"), ("published_at", "published_at"), ("id", "id")))

    class Meta:
        model = Listing
        fields = ["kind", "city", "district", "negotiable"]

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=descendant_ids(int(value), category_map()))

    def filter_condition(self, queryset, name, value):
        """The grades that mean this condition level, each in the categories graded by its standard."""
        categories = category_map().values()
        matches = Q(pk__in=[])
        for standard_code, grade_codes in grades_in(value).items():
            ids = [category.pk for category in categories if category.grading_standard_code == standard_code]
            matches |= Q(category_id__in=ids, grade_code__in=grade_codes)
        return queryset.filter(matches)

    def filter_seller(self, queryset, name, value):
        if value == "me":
            user = self.request.user if self.request else None
            return queryset.filter(seller=user) if user and user.is_authenticated else queryset.none()
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(seller_id=int(value))

    def filter_noop(self, queryset, name, value):
        # `mine` chooses the visible set in the view (ListingViewSet.get_queryset).
        return queryset
