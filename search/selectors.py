"""Reads for the search API: listing cards for a page of hits in one query, and the category tree
(labels, subtrees) from a per-process cache."""
import threading
import time
from decimal import Decimal

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import translation

from listings.models import Category, Listing, ListingPhoto, ListingState
from listings.selectors import descendant_ids

CARD_FIELDS = ("id", "title", "price", "city", "district", "grade_code", "kind")
# Categories change rarely and a save or delete in this process clears the cache at once; the
# lifetime bounds how long other processes (and bulk updates, which send no signal) show old labels
# or an old tree.
LABELS_TTL_SECONDS = 60.0


def card_columns_sql(alias: str) -> str:
    """The columns of a card, read from listing rows named `alias`: what `card_from_row` takes.

    The first photo's thumbnail comes from a correlated subquery (one index probe per card); only a
    photo whose derivatives exist (`ready`) counts, so a card never links to a file not yet made.
    """
    photo = ListingPhoto._meta.db_table
    return (
        f"{alias}.id, {alias}.title, CAST({alias}.price AS TEXT), {alias}.city, {alias}.district, "
        f"{alias}.grade_code, {alias}.kind, {alias}.state, "
        f"(SELECT ph.thumbnail FROM {photo} ph WHERE ph.listing_id = {alias}.id AND ph.ready ORDER BY ph.position, ph.id LIMIT 1), "
        f"{alias}.deal"
    )


CARD_COLUMN_COUNT = 10


def card_from_row(row) -> dict | None:
    """Card values from the `card_columns_sql` columns, or None when the listing is no longer active
    (it left that state after it was indexed: it is left out rather than shown)."""
    if row[0] is None or row[7] != ListingState.ACTIVE:
        return None
    return dict(zip(CARD_FIELDS, (*row[:2], Decimal(row[2]), *row[3:7]), strict=False), cover_thumbnail=row[8] or None,
                deal=row[9])


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
    ids = [int(i) for i in ids]
    sql = (f"SELECT {card_columns_sql('l')} FROM {Listing._meta.db_table} l "
           f"WHERE l.id IN ({', '.join(['%s'] * len(ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    cards = (card_from_row(row) for row in rows)
    return {card["id"]: card for card in cards if card is not None}


def thumbnail_url(name: str | None) -> str | None:
    """The storage URL of a thumbnail file name (what ListingPhoto.thumbnail.url gives)."""
    if not name:
        return None
    return ListingPhoto._meta.get_field("thumbnail").storage.url(name)


class _CategoryCache:
    """Every category (id, parent, names) of the default database, loaded in one query and kept
    for LABELS_TTL_SECONDS: search labels its category facet and expands a category filter to its
    subtree on every request, and the tree is small. Reloaded early when asked for an id it lacks,
    so a category created in another process is found at once."""

    def __init__(self):
        self._lock = threading.Lock()
        # (loaded at, {id: Category}, {language: {id: label}})
        self._entry: tuple[float, dict[int, Category], dict[str, dict[int, str]]] | None = None

    def get(self, ids=()) -> tuple[dict[int, Category], dict[str, dict[int, str]]]:
        entry, now = self._entry, time.monotonic()
        if entry is None or now - entry[0] >= LABELS_TTL_SECONDS or any(i not in entry[1] for i in ids):
            categories = {c.pk: c for c in Category.objects.only("id", "parent_id", "name_zh", "name_en")}
            entry = (now, categories, {})
            with self._lock:
                self._entry = entry
        return entry[1], entry[2]

    def clear(self) -> None:
        with self._lock:
            self._entry = None


_categories = _CategoryCache()


def category_labels(ids=()) -> dict[int, str]:
    """Localized names of every category, for the active language (no query while cached)."""
    categories, labels = _categories.get([i for i in ids if i is not None])
    language = translation.get_language() or ""
    names = labels.get(language)
    if names is None:
        names = labels[language] = {pk: category.name for pk, category in categories.items()}
    return names


def category_subtree(category_id: int) -> list[int]:
    """The category and every category below it (no query while cached)."""
    categories, _labels = _categories.get([category_id])
    return descendant_ids(category_id, categories)


def category_exists(category_id: int) -> bool:
    return category_id in category_labels([category_id])


@receiver(post_save, sender=Category, dispatch_uid="search.category_labels_saved")
@receiver(post_delete, sender=Category, dispatch_uid="search.category_labels_deleted")
def _forget_labels(**kwargs) -> None:
    _clear_labels()
    # Again once committed: another thread may have reloaded the old names in between.
    transaction.on_commit(_clear_labels)


def _clear_labels() -> None:
    _categories.clear()
