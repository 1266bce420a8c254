"""Index updates as tasks, and the durable retry of those that failed.

`update_listing_index(listing_id)` indexes the listing's state at the moment it runs (its
document when active, its removal otherwise), so a late or retried update never brings back an
older version. No lock is held and no transaction is open while the engine is called; the order
comes from the listing's row in PendingIndexUpdate (the outbox), in three steps:

1. claim, in one short transaction on that row: `sequence` goes up by one (an update is asked
   for). When another update holds the claim, it will apply this one too: stop. Otherwise take
   the claim, noting the sequence.
2. read the listing and call the engine, outside any transaction.
3. release, in one short transaction: when `sequence` grew meanwhile, a newer change was asked
   for during the engine call: go back to 2, which reads it. Otherwise the row goes.

So one update at a time calls the engine for a listing, and the last call always carries the
newest state. A failure releases the claim and keeps the row (attempts, last error):
`drain_pending_updates` retries such rows oldest first, from Celery beat, from
`manage.py search_drain`, and in the embedded mode (eager tasks, no beat) after the next index
update that succeeds. A claim older than CLAIM_TIMEOUT (a worker that died mid-update) is taken over.
"""
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from listings.models import Listing
from search.models import PendingIndexUpdate

logger = logging.getLogger("search.indexing")

# The embedded mode retries at most this many failed updates after a successful one: they run
# in the request that made the change, after its commit.
EAGER_DRAIN_BATCH = 50
# Far longer than an engine call may last (the client's timeout times its retries).
CLAIM_TIMEOUT = timedelta(minutes=5)


def _locked_row(listing_id: int, now) -> PendingIndexUpdate:
    """The listing's outbox row, created if missing, locked until the transaction ends."""
    row = PendingIndexUpdate.objects.select_for_update().filter(listing_id=listing_id).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return PendingIndexUpdate.objects.create(listing_id=listing_id, queued_at=now)
    except IntegrityError:  # created by another update meanwhile
        return PendingIndexUpdate.objects.select_for_update().get(listing_id=listing_id)


def _claim(listing_id: int):
    """Ask for an update of the listing; (sequence, claim) when this caller applies it, None when
    the update holding the claim will."""
    now = timezone.now()
    with transaction.atomic():
        row = _locked_row(listing_id, now)
        row.sequence += 1
        if row.claimed_at is not None and row.claimed_at > now - CLAIM_TIMEOUT:
            row.save(update_fields=["sequence"])
            return None
        row.claimed_at = now
        row.save(update_fields=["sequence", "claimed_at"])
        return row.sequence, now


def _release(listing_id: int, sequence: int, claim) -> int | None:
    """After a successful engine call: the sequence to apply next when a newer update was asked
    for meanwhile (the claim is kept), else None (the row goes)."""
    with transaction.atomic():
        row = PendingIndexUpdate.objects.select_for_update().filter(listing_id=listing_id).first()
        if row is None or row.claimed_at != claim:
            return None  # the claim timed out and another update took it over
        if row.sequence != sequence:
            return row.sequence
        row.delete()
        return None


def _record_failure(listing_id: int, claim, error: Exception) -> None:
    """After a failed engine call: the claim is released and the row kept for the drain."""
    now = timezone.now()
    with transaction.atomic():
        row = _locked_row(listing_id, now)
        if claim is not None and row.claimed_at == claim:
            row.claimed_at = None
        row.attempts += 1
        row.last_error = str(error)[:2000]
        row.last_attempt_at = now
        row.save(update_fields=["claimed_at", "attempts", "last_error", "last_attempt_at"])


def _write(listing_id: int) -> None:
    """Bring the index in step with the listing as it is now (raises when the backend fails)."""
    from search import service

    listing = Listing.objects.filter(pk=listing_id).first()
    if listing is None:
        service.delete(listing_id)
    else:
        service.index(listing)


def apply_update(listing_id: int) -> bool:
    """Index the listing's current state, unless an update of it is in flight (that one then
    applies it too). True when this call applied it; raises (after keeping the row) on failure."""
    claimed = _claim(listing_id)
    if claimed is None:
        return False
    sequence, claim = claimed
    while sequence is not None:
        try:
            _write(listing_id)
        except Exception as exc:
            _record_failure(listing_id, claim, exc)
            raise
        sequence = _release(listing_id, sequence, claim)
    return True


def remember_failure(listing_id: int, error: Exception) -> None:
    """An update that could not even be queued (broker down): asked for, and kept for the drain."""
    now = timezone.now()
    with transaction.atomic():
        row = _locked_row(listing_id, now)
        row.sequence += 1
        row.attempts += 1
        row.last_error = str(error)[:2000]
        row.last_attempt_at = now
        row.save(update_fields=["sequence", "attempts", "last_error", "last_attempt_at"])


@shared_task(name="search.update_listing_index")
def update_listing_index(listing_id: int) -> bool:
    """Index one listing's current state; on failure keep it for the drain. False when it failed."""
    try:
        apply_update(listing_id)
    except Exception as exc:
        logger.warning("Index update of listing %s failed: %s", listing_id, exc)
        return False
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No beat in the embedded mode: the engine answers again, so retry what failed before.
        drain_pending_updates(limit=EAGER_DRAIN_BATCH, stop_at_failure=True)
    return True


def waiting_updates():
    """Outbox rows a drain may retry: not being applied (or whose claim timed out), oldest first."""
    expired = timezone.now() - CLAIM_TIMEOUT
    return (PendingIndexUpdate.objects.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired))
            .order_by("queued_at", "id"))


@shared_task(name="search.drain_pending_updates")
def drain_pending_updates(limit: int | None = None, stop_at_failure: bool = False, progress=None) -> dict:
    """Retry failed index updates, oldest first; returns {"applied": n, "failed": n}.

    `stop_at_failure`: stop at the first one that fails again (the engine is still down).
    `progress`: called after each row (manage.py search_drain shows a bar)."""
    limit = limit or settings.SEARCH_DRAIN_BATCH
    applied = failed = 0
    for listing_id in list(waiting_updates().values_list("listing_id", flat=True)[:limit]):
        try:
            if apply_update(listing_id):
                applied += 1
        except Exception as exc:
            failed += 1
            logger.warning("Retry of the index update of listing %s failed: %s", listing_id, exc)
            if stop_at_failure:
                break
        finally:
            if progress is not None:
                progress()
    return {"applied": applied, "failed": failed}
