"""Reads: who sees which listings, and querysets shaped for the API (a constant number of queries)."""
from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from grading.models import Assessment
from listings.models import Category, Favourite, Listing, ListingPhoto, ListingState
from listings.permissions import managed_filter

PUBLIC_STATES = (ListingState.ACTIVE, ListingState.RESERVED, ListingState.SOLD)


def category_map() -> dict[int, Category]:
    """Every category by id, in one query: the tree is small and read on every listing page."""
    return {category.pk: category for category in Category.objects.all()}


def category_path(category_id, categories: dict[int, Category]) -> list[Category]:
    """The categories from the root down to `category_id`."""
    path, seen = [], set()
    current = categories.get(category_id)
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        path.append(current)
        current = categories.get(current.parent_id)
    return list(reversed(path))


def descendant_ids(category_id, categories: dict[int, Category]) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for category in categories.values():
        children.setdefault(category.parent_id, []).append(category.pk)
    ids, frontier = [], [category_id]
    while frontier:
        current = frontier.pop()
        if current in ids:
            continue
        ids.append(current)
        frontier.extend(children.get(current, []))
    return ids


def visible_listings(user):
    """Listings `user` may see: published ones, their own in any state; staff see everything."""
    queryset = Listing.objects.all()
    if user is not None and user.is_authenticated and user.is_staff:
        return queryset
    visible = Q(state__in=PUBLIC_STATES)
    if user is not None and user.is_authenticated:
        visible |= managed_filter(user)
    return queryset.filter(visible)


def managed_listings(user):
    return Listing.objects.filter(managed_filter(user))


def with_cards(queryset):
    """What a listing card needs: seller, organization, category, photos and current assessments."""
    return queryset.select_related("seller", "organization", "category").prefetch_related(
        Prefetch("photos", queryset=ListingPhoto.objects.select_related("duplicate_of").order_by("position", "id"), to_attr="ordered_photos"),
        Prefetch(
            "assessments",
            queryset=Assessment.objects.filter(is_current=True).select_related("grade", "standard"),
            to_attr="current_assessments",
        ),
    )


def with_details(queryset, user):
    queryset = with_cards(queryset).annotate(favourite_count=Count("favourited_by", distinct=True))
    if user is not None and user.is_authenticated:
        queryset = queryset.annotate(
            is_favourite=Exists(Favourite.objects.filter(listing=OuterRef("pk"), user=user))
        )
    return queryset
