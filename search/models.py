"""Index tables of the database backend, and the durable queue of index updates that failed.

The database backend keeps one ListingSearchDocument per active listing, written by the
indexing pipeline (never recomputed per query). Engine-specific structures are added by the
migrations next to it: on SQLite an FTS5 table kept in step by triggers; on PostgreSQL a stored
tsvector column (title and identifiers weight A, the listing's own category B, body C) with a GIN index and a trigram
GIN index on the normalized title.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # The listing's category and its ancestors (the ids of its ListingSearchCategory rows),
    # space-joined: the category facet groups by it without a join (migration 0003 fills old rows).
    category_path = models.TextField(null=True, blank=True)
    kind = models.CharField(max_length=20)
    grade_code = models.CharField(max_length=16, blank=True)
    price_fen = models.BigIntegerField()
    city = models.CharField(max_length=40, blank=True)
    district = models.CharField(max_length=40, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    certified = models.BooleanField(default=False)
    inspected = models.BooleanField(default=False)
    published_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listing search document")
        verbose_name_plural = _("listing search documents")
        indexes = [
            # The common filter combination (city, kind, price) and the two sort orders.
            models.Index(fields=["city", "kind", "price_fen"], name="search_doc_city_kind_price"),
            models.Index(fields=["-published_at", "-listing"], name="search_doc_newest"),
            models.Index(fields=["price_fen"], name="search_doc_price"),
            models.Index(fields=["latitude", "longitude"], name="search_doc_lat_lon"),
        ]

    def __str__(self):
        return f"search document of listing {self.listing_id}"


class ListingSearchCategory(models.Model):
    """A document's category and each of its ancestors: filter and facet by any level of the tree."""

    document = models.ForeignKey(ListingSearchDocument, on_delete=models.CASCADE, related_name="categories")
    category_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("listing search category")
        verbose_name_plural = _("listing search categories")
        constraints = [
            models.UniqueConstraint(fields=["category_id", "document"], name="search_category_document_unique"),
        ]

    def __str__(self):
        return f"{self.document_id} in {self.category_id}"


class PendingIndexUpdate(models.Model):
    """A listing whose index update failed; search.tasks.drain_pending_updates retries it.

    Only the listing id is kept: a retry always indexes the listing's state at the time of the
    retry, so an old failure can never overwrite a newer change.
    """

    listing_id = models.BigIntegerField(_("listing"), unique=True)
    queued_at = models.DateTimeField(_("queued at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending index update")
        verbose_name_plural = _("pending index updates")
        ordering = ["queued_at", "id"]
        indexes = [models.Index(fields=["queued_at"], name="search_pending_queued")]

    def __str__(self):
        return f"pending index update of listing {self.listing_id}"
