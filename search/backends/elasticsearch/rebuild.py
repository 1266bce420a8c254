"""A zero-downtime rebuild of the Elasticsearch index: load a new versioned index, then swap the
alias to it in one request.

While it loads, the new index also carries the alias `<prefix>_listings_building` and live writes
go to both (see the backend's `index` and `delete`), so a change made during the rebuild is not lost
by the swap. The bulk load uses op_type=create: it never overwrites a document a live write has
already put there, nor the tombstone a delete leaves there; the tombstones are swept once the new
index is live.
"""
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from django.conf import settings
from elastic_transport import TransportError
from elasticsearch.helpers import BulkIndexError, streaming_bulk

from search.backends.elasticsearch.mapping import index_actions, refresh_interval

BULK_CHUNK = 1000
REBUILD_TIMEOUT_S = 60
WRITER_THREADS = 2
# The `state` of a placeholder a delete leaves in an index being rebuilt.
TOMBSTONE = "deleted"


def batched(iterable: Iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class AtomicRebuild:
    """One rebuild of a backend's index (ElasticsearchBackend.rebuild runs it)."""

    def __init__(self, backend):
        self.backend = backend

    def run(self, documents_iter: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Load a new index from the documents, then swap the alias to it atomically."""
        backend = self.backend
        name = backend._new_index_name()
        backend._create_index(name, loading=True)
        try:
            backend._call(lambda: backend.client.indices.update_aliases(
                actions=[{"add": {"index": name, "alias": backend.building_alias}}]
            ))
            count = self._load(name, documents_iter, progress)
            backend._call(lambda: backend.client.indices.put_settings(
                index=name, settings={"index": {"refresh_interval": refresh_interval()}}
            ))
            backend._call(lambda: backend.client.indices.refresh(index=name))
            old = [index for index in backend._indices_of(backend.alias) if index != name]
            actions = [{"remove": {"index": index, "alias": backend.alias}} for index in old]
            actions.append({"add": {"index": name, "alias": backend.alias}})
            actions.append({"remove": {"index": name, "alias": backend.building_alias}})
            # One _aliases request: searches see the old index or the new one, never neither.
            backend._call(lambda: backend.client.indices.update_aliases(actions=actions))
        except BaseException:
            backend._call(lambda: backend.client.indices.delete(index=name, ignore_unavailable=True))
            raise
        self._sweep_tombstones(name)
        if old:
            backend._call(lambda: backend.client.indices.delete(index=",".join(old), ignore_unavailable=True))
        return count

    def _sweep_tombstones(self, name: str) -> None:
        """Remove the tombstones deletes left during the rebuild. Runs after the swap, when no
        write can add one any more; until then they match no text and no filter."""
        backend = self.backend
        backend._call(lambda: backend.client.indices.refresh(index=name))
        response = backend._call(lambda: backend.client.search(
            index=name, query={"term": {"state": TOMBSTONE}}, size=10_000, source=False,
        ))
        ids = [hit["_id"] for hit in response["hits"]["hits"]]
        if ids:
            backend._bulk([{"_op_type": "delete", "_index": name, "_id": listing_id} for listing_id in ids])

    def _send_chunk(self, actions: list[dict]) -> tuple[int, list[dict]]:
        """One bulk request (429s retried with backoff): (documents stored, failures)."""
        stored, failures = 0, []
        # A rebuild's 1,000-document requests may take seconds on a busy node: a search's short
        # timeout would abort the whole load (and retrying a timed-out bulk only adds load).
        timeout = self.backend._request_timeout or settings.ELASTICSEARCH_TIMEOUT
        client = self.backend.client.options(request_timeout=max(timeout, REBUILD_TIMEOUT_S))
        for ok, item in streaming_bulk(
            client, actions, chunk_size=len(actions), raise_on_error=False, max_retries=3,
            initial_backoff=0.2, max_backoff=2.0,
        ):
            _op, detail = next(iter(item.items()))
            # 409: a live write during the rebuild already stored a newer version of this listing.
            if ok or detail.get("status") == 409:
                stored += 1
            else:
                failures.append(item)
        return stored, failures

    def _load(self, name: str, documents_iter: Iterable[dict], progress) -> int:
        """Bulk-load: this thread builds documents (database reads, segmentation) while two writer
        threads send the previous chunks, so segmentation and HTTP round trips overlap."""
        count, failures = 0, []

        def collect(future):
            nonlocal count
            stored, failed = future.result()
            count += stored
            failures.extend(failed)
            if progress is not None:
                progress(count)

        try:
            with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
                in_flight: deque = deque()
                for chunk in batched(index_actions(documents_iter, name, op_type="create"), BULK_CHUNK):
                    in_flight.append(pool.submit(self._send_chunk, list(chunk)))
                    # Bounded: memory stays flat whatever the corpus size.
                    while len(in_flight) > WRITER_THREADS:
                        collect(in_flight.popleft())
                while in_flight:
                    collect(in_flight.popleft())
        except TransportError as error:
            raise self.backend._unavailable(error) from error
        if failures:
            raise BulkIndexError(f"{len(failures)} document(s) failed to index.", failures[:10])
        return count
