"""Listing changes reach the index after their transaction commits, never before.

The receiver only registers an on_commit callback (no query inside the listing's transaction):
a rolled-back change is never indexed. The callback hands the listing id to a task; when even
that fails (broker down), the id is remembered in PendingIndexUpdate for the periodic drain.
A change to a draft that was never published asks for nothing: it has no index entry.
"""
import logging

from django.db import transaction
from django.dispatch import receiver

from listings.signals import listing_changed
from search.documents import never_indexed

logger = logging.getLogger("search.indexing")


@receiver(listing_changed, dispatch_uid="search.reindex_listing")
def reindex_listing_after_commit(sender, listing, fields=None, deleted=False, **kwargs):
    if never_indexed(listing):
        return
    listing_id = listing.pk
    # robust: the listing's change is committed; an indexing failure must not fail its request.
    transaction.on_commit(lambda: enqueue_update(listing_id), robust=True)


def enqueue_update(listing_id: int) -> None:
    from search import tasks

    try:
        tasks.update_listing_index.delay(listing_id)
    except Exception as exc:  # the broker is down: the drain will do it
        logger.warning("Could not queue the index update of listing %s: %s", listing_id, exc)
        tasks.remember_failure(listing_id, exc)
