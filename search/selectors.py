"""Reads for the search API: listing cards for a page of hits, loaded by id in constant queries."""
from django.db.models import Prefetch

from listings.models import Category, Listing, ListingPhoto, ListingState


def listing_cards(ids: list[int]) -> dict[int, Listing]:
    """Active listings by id with their photos (two queries). A hit whose listing left the active
    state since it was indexed is left out rather than shown."""
    if not ids:
        return {}
    listings = Listing.objects.filter(pk__in=ids, state=ListingState.ACTIVE).prefetch_related(
        Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id"), to_attr="ordered_photos"),
    )
    return {listing.pk: listing for listing in listings}


def category_names(ids) -> dict[int, str]:
    """Localized names of these categories (one query)."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {category.pk: category.name for category in Category.objects.filter(pk__in=ids)}
