"""Index tables of the database backend, and the durable queue of index updates that failed.

The database backend keeps one ListingSearchDocument per active listing, written by the
indexing pipeline (never recomputed per query). Engine-specific structures are added by the
migrations next to it: on SQLite an FTS5 table kept in step by triggers; on PostgreSQL a stored
tsvector column (title and identifiers weight A, the listing's own category B, body C) with a GIN index and a trigram
GIN index on the normalized title.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

# What a search without words reads from a document besides its filters: carried by the indexes.
COVERED_COLUMNS = (
    "listing", "published_at", "price_fen", "category_id", "category_path", "kind", "grade_code", "condition",
    "city", "certified", "inspected", "latitude", "longitude",
)


def _covering(*keys: str) -> list[str]:
    return [column for column in COVERED_COLUMNS if column not in keys]


class ListingSearchDocument(models.Model):
    listing = models.OneToOneField(
        "listings.Listing", on_delete=models.CASCADE, primary_key=True, related_name="search_document",
    )
    # Raw text, for highlighting; the *_tokens columns hold search.text terms, space-joined.
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    title_normalized = models.CharField(max_length=200, blank=True)
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    identifiers = models.TextField(blank=True)
    category_tokens = models.TextField(blank=True)
    category_id = models.BigIntegerField()
    # The listing's category and its ancestors, space-joined: the category facet groups by it
    # without a join (migration 0003 filled old rows).
    category_path = models.TextField(null=True, blank=True)
    kind = models.CharField(max_length=20)
    grade_code = models.CharField(max_length=16, blank=True)
    # The common condition level of the grade (grading.conditions), "" without one.
    condition = models.CharField(max_length=16, blank=True, default="")
    # An accessory (a case, a charger): ranked below the devices a query also finds.
    accessory = models.BooleanField(default=False)
    price_fen = models.BigIntegerField()
    city = models.CharField(max_length=40, blank=True)
    district = models.CharField(max_length=40, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    certified = models.BooleanField(default=False)
    inspected = models.BooleanField(default=False)
    # sale | giveaway | swap (listings.models.Deal); a filter, not a facet cell column. Nullable
    # only so that SQLite adds it in place (migration 0008); every row has a value.
    deal = models.CharField(max_length=12, null=True, blank=True)
    published_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listing search document")
        verbose_name_plural = _("listing search documents")
        # Every index that drives a search without words carries the columns the search reads
        # (page order, facets, filters) so PostgreSQL answers from the index alone, never
        # visiting the wide rows (index-only scans; see docs/search.md).
        indexes = [
            # The common filter combination (city, kind, price).
            models.Index(fields=["city", "kind", "price_fen"], name="search_doc_city_kind_price",
                         include=_covering("city", "kind", "price_fen")),
            models.Index(fields=["-published_at", "-listing"], name="search_doc_newest",
                         include=_covering("published_at", "listing")),
            models.Index(fields=["price_fen"], name="search_doc_price", include=_covering("price_fen")),
            models.Index(fields=["latitude", "longitude"], name="search_doc_lat_lon",
                         include=_covering("latitude", "longitude")),
            # Browsing a category: its listings by grade and price without reading the others.
            models.Index(fields=["category_id", "grade_code", "price_fen"], name="search_doc_category",
                         include=_covering("category_id", "grade_code", "price_fen")),
        ]

    def __str__(self):
        return f"search document of listing {self.listing_id}"


class ListingSearchFacetCell(models.Model):
    """How many indexed documents share one combination of facet values and price step: facet
    counts of a search without words or radius are sums over these cells (about 18,000 at 90,000
    listings) instead of counts over every matching document; a price range that does not fall
    on step bounds counts the documents of its one or two edge steps. Written by the database
    backend in the same transaction as the documents, so the counts are always exact."""

    category_id = models.BigIntegerField()
    category_path = models.TextField(blank=True)
    kind = models.CharField(max_length=20)
    grade_code = models.CharField(max_length=16, blank=True)
    condition = models.CharField(max_length=16, blank=True, default="")
    city = models.CharField(max_length=40, blank=True)
    # The lower bound in fen of the price step (search.backends.base.PRICE_STEPS) of the prices.
    price_step = models.BigIntegerField()
    certified = models.BooleanField()
    inspected = models.BooleanField()
    documents = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("listing search facet cell")
        verbose_name_plural = _("listing search facet cells")
        constraints = [
            models.UniqueConstraint(
                fields=["category_id", "category_path", "kind", "grade_code", "condition", "city", "price_step",
                        "certified", "inspected"],
                name="search_facet_cell_unique",
            ),
        ]

    def __str__(self):
        return f"{self.documents} documents in cell {self.pk}"


class PendingIndexUpdate(models.Model):
    """The outbox of index updates: a listing whose index entry is not yet in step with it.

    A row exists while an update of the listing is being applied (`claimed_at` set) or after one
    failed (`attempts`, `last_error`); search.tasks.drain_pending_updates retries the failed ones,
    oldest first. Only the listing id is kept: an update always indexes the listing's state at
    the time it runs. `sequence` counts the updates asked for the listing: the one applying
    them (the holder of the claim) reads the listing again when it grew during its engine call,
    so the engine is called for one listing by one update at a time, never with an older state
    after a newer one, and without the listing's row lock.
    """

    listing_id = models.BigIntegerField(_("listing"), unique=True)
    queued_at = models.DateTimeField(_("queued at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sequence = models.PositiveBigIntegerField(_("updates asked for"), default=0)
    claimed_at = models.DateTimeField(_("being applied since"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending index update")
        verbose_name_plural = _("pending index updates")
        ordering = ["queued_at", "id"]
        indexes = [models.Index(fields=["queued_at"], name="search_pending_queued")]

    def __str__(self):
        return f"pending index update of listing {self.listing_id}"
