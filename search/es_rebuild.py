"""Documents for a full rebuild, built in worker processes.

Segmentation (jieba) is the bottleneck of a rebuild and holds the GIL, so threads do not help:
`parallel_documents` builds documents in a pool of processes (one per core by default) while
the parent process sends the previous batches to the backend. Works for any backend.
"""
import multiprocessing
from collections.abc import Iterator

from django.db import connections

from listings.models import Listing, ListingState
from search.documents import build_documents, iter_documents

ID_BATCH = 500


# Database connections inherited through fork: kept referenced, never closed, because closing
# one would end the parent's session on the shared socket. Each child opens its own.
_inherited = []


def _forget_inherited_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None


def _build(ids: list[int]) -> list[dict]:
    listings = list(Listing.objects.filter(pk__in=ids).order_by("pk"))
    return build_documents(listings)


def _id_batches(batch_size: int) -> Iterator[list[int]]:
    last_id = 0
    while True:
        ids = list(
            Listing.objects.filter(state=ListingState.ACTIVE, pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last_id = ids[-1]


def active_count() -> int:
    return Listing.objects.filter(state=ListingState.ACTIVE).count()


def parallel_documents(workers: int, batch_size: int = ID_BATCH) -> Iterator[dict]:
    """Every active listing's document, in id order; `workers` <= 1 builds them in this process."""
    if workers <= 1:
        yield from iter_documents(batch_size=batch_size)
        return
    context = multiprocessing.get_context("fork")
    # Batches of ids are read here; the pool reads the rows and segments them. imap keeps order
    # and a bounded number of batches in flight, so memory stays flat.
    with context.Pool(workers, initializer=_forget_inherited_connections) as pool:
        for documents in pool.imap(_build, _id_batches(batch_size), chunksize=1):
            yield from documents
