"""Reads for the search API: listing cards for a page of hits in one query, and category labels
from a per-process cache."""
import threading
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import translation

from listings.models import Category, Listing, ListingPhoto, ListingState

CARD_FIELDS = ("id", "title", "price", "city", "district", "grade_code", "kind")
# Categories change rarely and a save or delete in this process clears the cache at once; the
# lifetime bounds how long other processes (and bulk updates, which send no signal) show old labels.
LABELS_TTL_SECONDS = 60.0

_labels: dict[str, tuple[float, dict[int, str]]] = {}
_labels_lock = threading.Lock()


def listing_cards(ids: list[int]) -> dict[int, dict]:
    """Active listings by id as card values, with `cover_thumbnail` (the file name of the first
    photo's thumbnail, or None), in one query. A hit whose listing left the active state since it
    was indexed is left out rather than shown.

    Plain SQL: building this query with the ORM cost 40 times what running it costs (about 3 ms a
    page, a good part of the endpoint's own time). The state is checked here, not in SQL, so every
    engine looks the rows up by primary key (SQLite preferred its state index and read every
    active listing).
    """
    if not ids:
        return {}
    listing, photo = Listing._meta.db_table, ListingPhoto._meta.db_table
    ids = [int(i) for i in ids]
    sql = (
        f"SELECT l.id, l.title, CAST(l.price AS TEXT), l.city, l.district, l.grade_code, l.kind, l.state, "
        f"(SELECT p.thumbnail FROM {photo} p WHERE p.listing_id = l.id ORDER BY p.position, p.id LIMIT 1) "
        f"FROM {listing} l WHERE l.id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    return {
        row[0]: dict(zip(CARD_FIELDS, (*row[:2], Decimal(row[2]), *row[3:7]), strict=False), cover_thumbnail=row[8] or None)
        for row in rows if row[7] == ListingState.ACTIVE
    }


def thumbnail_url(name: str | None) -> str | None:
    """The storage URL of a thumbnail file name (what ListingPhoto.thumbnail.url gives)."""
    if not name:
        return None
    return ListingPhoto._meta.get_field("thumbnail").storage.url(name)


def _load_labels() -> dict[int, str]:
    return {category.pk: category.name for category in Category.objects.only("id", "name_zh", "name_en")}


def category_labels(ids=()) -> dict[int, str]:
    """Localized names of every category, for the active language (no query while cached).

    Reloads (one query) when the cache is older than LABELS_TTL_SECONDS or lacks one of `ids`:
    a category created in another process is labelled at once.
    """
    ids = [i for i in ids if i is not None]
    language = translation.get_language() or ""
    now = time.monotonic()
    cached = _labels.get(language)
    if cached is not None and now - cached[0] < LABELS_TTL_SECONDS and all(i in cached[1] for i in ids):
        return cached[1]
    labels = _load_labels()
    with _labels_lock:
        _labels[language] = (now, labels)
    return labels


def category_exists(category_id: int) -> bool:
    return category_id in category_labels([category_id])


@receiver(post_save, sender=Category, dispatch_uid="search.category_labels_saved")
@receiver(post_delete, sender=Category, dispatch_uid="search.category_labels_deleted")
def _forget_labels(**kwargs) -> None:
    _clear_labels()
    # Again once committed: another thread may have reloaded the old names in between.
    transaction.on_commit(_clear_labels)


def _clear_labels() -> None:
    with _labels_lock:
        _labels.clear()
