"""Documents for a full rebuild, built in worker processes.

Segmentation (jieba) is the bottleneck of a rebuild and holds the GIL, so threads do not help:
`parallel_documents` builds documents in a pool of processes (one per core by default) while
the parent process sends the previous batches to the backend. Works for any backend.
"""
import multiprocessing
from collections import deque
from collections.abc import Iterator
from itertools import islice

from django.db import connections

from listings.models import Listing, ListingState
from search.documents import active_id_batches, build_documents, iter_documents, listings_for_documents

ID_BATCH = 500
# Batches handed to the pool and not yet taken by the caller, per worker: enough that no worker
# waits while the parent writes, few enough that a slow backend never makes results pile up.
IN_FLIGHT_PER_WORKER = 2


# Database connections inherited through fork: kept referenced, never closed, because closing
# one would end the parent's session on the shared socket. Each child opens its own.
_inherited = []


def _forget_inherited_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None


def _build(ids: list[int]) -> list[dict]:
    return build_documents(listings_for_documents(ids))


def _id_batches(batch_size: int) -> Iterator[list[int]]:
    return active_id_batches(batch_size)


def active_count() -> int:
    return Listing.objects.filter(state=ListingState.ACTIVE).count()


def parallel_documents(workers: int, batch_size: int = ID_BATCH) -> Iterator[dict]:
    """Every active listing's document, in `active_id_batches` order; `workers` <= 1 builds them in this process."""
    if workers <= 1:
        yield from iter_documents(batch_size=batch_size)
        return
    context = multiprocessing.get_context("fork")
    # Batches of ids are read here; the pool reads the rows and segments them. Results come back
    # in order, and a new batch is handed out only when one is taken (imap would build ahead of
    # a slow backend without bound), so memory stays flat whatever the corpus.
    batches = _id_batches(batch_size)
    with context.Pool(workers, initializer=_forget_inherited_connections) as pool:
        pending = deque(pool.apply_async(_build, (ids,)) for ids in islice(batches, workers * IN_FLIGHT_PER_WORKER))
        while pending:
            documents = pending.popleft().get()
            ids = next(batches, None)
            if ids is not None:
                pending.append(pool.apply_async(_build, (ids,)))
            yield from documents
