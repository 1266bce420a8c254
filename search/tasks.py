"""Index updates as tasks, and the durable retry of those that failed.

`update_listing_index(listing_id)` always re-reads the listing and indexes its state at that
moment (its document when active, its removal otherwise): updates are idempotent and a late
or retried one can never bring back an older version. The listing row is locked while the
index is written, so two updates of one listing are applied one after the other.
A failure is recorded in PendingIndexUpdate; `drain_pending_updates` (Celery beat) retries the
oldest first.
"""
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listings.models import Listing
from search.models import PendingIndexUpdate

logger = logging.getLogger("search.indexing")

DRAIN_BATCH = 500


def apply_update(listing_id: int) -> None:
    """Bring the index in step with the listing as it is now (raises when the backend fails)."""
    from search import service

    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(pk=listing_id).first()
        if listing is None:
            service.delete(listing_id)
        else:
            service.index(listing)


def remember_failure(listing_id: int, error: Exception) -> None:
    """Record (or re-record) a failed update; the drain retries it."""
    now = timezone.now()
    with transaction.atomic():
        pending, created = PendingIndexUpdate.objects.select_for_update().get_or_create(
            listing_id=listing_id, defaults={"queued_at": now, "attempts": 1, "last_error": str(error)[:2000],
                                             "last_attempt_at": now},
        )
        if not created:
            pending.attempts += 1
            pending.last_error = str(error)[:2000]
            pending.last_attempt_at = now
            pending.save(update_fields=["attempts", "last_error", "last_attempt_at"])


@shared_task(name="search.update_listing_index")
def update_listing_index(listing_id: int) -> bool:
    """Index one listing's current state; on failure remember it for the drain. True when applied."""
    started = timezone.now()
    try:
        apply_update(listing_id)
    except Exception as exc:
        logger.warning("Index update of listing %s failed: %s", listing_id, exc)
        remember_failure(listing_id, exc)
        return False
    # An older failure of this listing is now superseded by what was just applied.
    PendingIndexUpdate.objects.filter(listing_id=listing_id, last_attempt_at__lte=started).delete()
    return True


@shared_task(name="search.drain_pending_updates")
def drain_pending_updates(limit: int | None = None) -> dict:
    """Retry failed index updates, oldest first; returns {"applied": n, "failed": n}."""
    limit = limit or getattr(settings, "SEARCH_DRAIN_BATCH", DRAIN_BATCH)
    applied = failed = 0
    for pending in list(PendingIndexUpdate.objects.order_by("queued_at", "id")[:limit]):
        attempt_started = timezone.now()
        try:
            apply_update(pending.listing_id)
        except Exception as exc:
            failed += 1
            logger.warning("Retry of the index update of listing %s failed: %s", pending.listing_id, exc)
            remember_failure(pending.listing_id, exc)
            continue
        applied += 1
        # A failure recorded while this retry ran stays queued (it may concern a newer change).
        PendingIndexUpdate.objects.filter(pk=pending.pk, last_attempt_at__lte=attempt_started).delete()
    return {"applied": applied, "failed": failed}
