"""Query filters of the listing list. Which listings are visible at all is decided by the view.

Every parameter is validated as the search endpoint validates its own: a value that is not one
the filter understands is a 400 `validation_error` naming the parameter (django-filter's form
errors, raised by DjangoFilterBackend), never silently ignored.
"""
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from grading.conditions import grades_in
from grading.models import Condition
from listings.models import MAX_PRICE, Deal, Listing, ListingKind, ListingState
from listings.selectors import category_map, descendant_ids
from marketplace.api.filters import IdFilter, is_id

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no, on/off, any case); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # django-filter's boolean widget turns an unknown word into "no value": read the raw text.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class CategorySubtreeField(forms.Field):
    """A category id or slug -> the ids of that category and of every category below it."""

    default_error_messages = {"unknown": _("There is no category “%(value)s”: give a category id or slug.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        wanted = str(value).strip()
        categories = category_map()
        found = next(
            (c for c in categories.values() if (str(c.pk) == wanted if wanted.isdigit() else c.slug == wanted)), None
        )
        if found is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"value": wanted})
        return descendant_ids(found.pk, categories)


class CategoryFilter(filters.CharFilter):
    field_class = CategorySubtreeField

    def filter(self, queryset, value):
        return queryset if value is None else queryset.filter(category_id__in=value)


class SellerField(forms.CharField):
    default_error_messages = {"invalid": _("Give a seller id or “me”.")}

    def to_python(self, value):
        value = super().to_python(value).strip()
        if value and value != "me" and not is_id(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class SellerFilter(filters.CharFilter):
    field_class = SellerField


class ListingFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("min_price", _("The minimum price is above the maximum price."))
        return cleaned


def _price(lookup):
    return filters.NumberFilter(field_name="price", lookup_expr=lookup, min_value=Decimal("0"), max_value=MAX_PRICE,
                                max_digits=9, decimal_places=2)


class ListingFilter(filters.FilterSet):
    category = CategoryFilter(label=_("Category id or slug (and every category below it)"))
    kind = filters.ChoiceFilter(choices=ListingKind.choices)
    deal = filters.ChoiceFilter(choices=Deal.choices)
    grade = filters.CharFilter(field_name="grade_code", max_length=16, label=_("Effective grade code"))
    condition = filters.ChoiceFilter(choices=Condition.choices, method="filter_condition",
                                     label=_("Condition level, common to every grading standard"))
    min_price = _price("gte")
    max_price = _price("lte")
    city = filters.CharFilter(max_length=40)
    district = filters.CharFilter(max_length=40)
    seller = SellerFilter(method="filter_seller", label=_("Seller id, or “me”"))
    organization = IdFilter(field_name="organization_id")
    state = filters.MultipleChoiceFilter(choices=ListingState.choices)
    negotiable = StrictBooleanFilter()
    mine = StrictBooleanFilter(method="filter_noop", label=_("Only my listings, in every state"))
    ordering = filters.OrderingFilter(fields=(("price", "price"), ("published_at", "published_at"), ("id", "id")))

    class Meta:
        model = Listing
        fields = ["kind", "deal", "city", "district", "negotiable"]
        form = ListingFilterForm

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
        return queryset.filter(seller_id=int(value))

    def filter_noop(self, queryset, name, value):
        # `mine` chooses the visible set in the view (ListingViewSet.get_queryset).
        return queryset
