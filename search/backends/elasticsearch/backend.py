"""The Elasticsearch backend: versioned indices behind an alias, bulk writes, zero-downtime rebuilds.

Reads and live writes go through the alias `<prefix>_listings`; a rebuild (rebuild.py) loads a new
index `<prefix>_listings_v<timestamp>`, swaps the alias in one `_aliases` request and deletes the
old index. While a rebuild runs, live writes go to the index it loads too (alias
`<prefix>_listings_building`), and a delete leaves a tombstone there.

Text is segmented and normalized by search.text before it arrives (see mapping.py), and
highlights are computed in Python by search.highlight from the query's terms, exactly as the
database backend does: the index keeps normalized tokens, which are not readable, and an engine
highlighter would mark different words than the database backend. Distances are computed in
Python from the stored point with the same formula as the database backend, since this node has
no scripting for script_fields.

Any transport failure (node down, timeout, 429/502/503/504) raises SearchUnavailable: the search
API answers 503, and indexing tasks record the listing in PendingIndexUpdate to retry later.
"""
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.helpers import BulkIndexError, streaming_bulk

from search.analysis import (
    asks_for_a_device,
    is_known,
    known_correction,
    query_groups,
    relaxations,
    typo_candidates,
)
from search.backends.base import (
    TOTAL_CAP,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    Suggestions,
    price_facet,
    sort_facet_values,
)
from search.backends.elasticsearch.mapping import alias_name, build_index, building_alias_name, index_actions
from search.backends.elasticsearch.query import FACET_FIELDS, compile_suggest, presence_lines, search_lines
from search.backends.elasticsearch.rebuild import BULK_CHUNK, TOMBSTONE, AtomicRebuild
from search.highlight import highlights
from search.text import clean, latin_words, stem

logger = logging.getLogger("search.elasticsearch")

# Statuses that mean "the cluster cannot answer right now", not "the request is wrong".
UNAVAILABLE_STATUSES = {429, 502, 503, 504}
# The database backend's Earth (diameter 12742 km), so both report the same distances.
EARTH_RADIUS_KM = 6371.0


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"
    capabilities = frozenset({"typos"})

    def __init__(self, *, url: str | None = None, index_prefix: str | None = None, refresh=None,
                 request_timeout: float | None = None, max_retries: int | None = None):
        # Options override settings (the contract suite uses a throwaway prefix); None reads settings.
        self._url = url
        self._index_prefix = index_prefix
        self._refresh = refresh
        self._request_timeout = request_timeout
        self._max_retries = max_retries
        self._client: Elasticsearch | None = None
        self._client_url: str | None = None
        self._mapping_current = False

    # ------------------------------------------------------------------ configuration --

    @property
    def url(self) -> str:
        return self._url or settings.ELASTICSEARCH_URL

    @property
    def alias(self) -> str:
        if self._index_prefix:
            return f"{self._index_prefix}_listings"
        return alias_name()

    @property
    def building_alias(self) -> str:
        if self._index_prefix:
            return f"{self.alias}_building"
        return building_alias_name()

    @property
    def refresh_mode(self):
        """What writes pass as `refresh`: False in production (near real time), "wait_for" in tests."""
        if self._refresh is not None:
            return self._refresh
        return settings.ELASTICSEARCH_REFRESH

    @property
    def client(self) -> Elasticsearch:
        url = self.url
        if self._client is None or self._client_url != url:
            self._client = Elasticsearch(
                url,
                request_timeout=self._request_timeout or settings.ELASTICSEARCH_TIMEOUT,
                retry_on_timeout=True,
                max_retries=self._max_retries if self._max_retries is not None
                else settings.ELASTICSEARCH_MAX_RETRIES,
                retry_on_status=(502, 503, 504),
            )
            self._client_url = url
        return self._client

    # ------------------------------------------------------------------------ errors --

    def _unavailable(self, error: Exception) -> SearchUnavailable:
        logger.warning("Elasticsearch at %s unavailable: %s", self.url, error)
        return SearchUnavailable(f"Elasticsearch is unavailable: {error}")

    def _call(self, action: Callable):
        """Run a client call; transport failures become SearchUnavailable, request errors stay bugs."""
        try:
            return action()
        except ApiError as error:
            if error.meta.status in UNAVAILABLE_STATUSES:
                raise self._unavailable(error) from error
            raise
        except TransportError as error:
            raise self._unavailable(error) from error

    def health(self) -> dict:
        """_cluster/health (GET / is not served by every node): raises SearchUnavailable when unreachable."""
        return dict(self._call(lambda: self.client.cluster.health()))

    # ------------------------------------------------------------------------ indices --

    def _new_index_name(self) -> str:
        # Microseconds keep two rebuilds in the same second apart.
        return f"{self.alias}_v{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def _indices_of(self, alias: str) -> list[str]:
        try:
            return sorted(self._call(lambda: self.client.indices.get_alias(name=alias)).body)
        except NotFoundError:
            return []

    def _create_index(self, name: str, *, loading: bool = False) -> None:
        body = build_index(name, loading=loading).to_dict()
        self._call(lambda: self.client.indices.create(index=name, **body))

    def ensure_index(self) -> None:
        """Create the first versioned index behind the alias when there is none yet; add the fields
        of the current mapping to an existing one (once per process: a release that adds fields
        keeps live writes working until `search_rebuild`)."""
        if self._indices_of(self.alias):
            if not self._mapping_current:
                self._add_new_fields()
            return
        name = self._new_index_name()
        self._create_index(name)
        try:
            self._call(lambda: self.client.indices.update_aliases(
                actions=[{"add": {"index": name, "alias": self.alias}}]
            ))
        except Exception:
            self._call(lambda: self.client.indices.delete(index=name, ignore_unavailable=True))
            raise
        # Another process may have created one at the same time: keep the oldest, drop ours.
        indices = self._indices_of(self.alias)
        if len(indices) > 1 and name != indices[0]:
            self._call(lambda: self.client.indices.update_aliases(
                actions=[{"remove_index": {"index": name}}]
            ))

    def _add_new_fields(self) -> None:
        """PUT the current mapping's properties on the live indices: Elasticsearch adds the fields they
        lack and keeps those they have (a field whose type changed needs a rebuild: logged)."""
        properties = build_index(self.alias).to_dict()["mappings"]["properties"]
        try:
            self._call(lambda: self.client.indices.put_mapping(index=self.alias, properties=properties))
        except ApiError as error:
            logger.warning("The mapping of %s differs from the current one; run search_rebuild: %s", self.alias, error)
        self._mapping_current = True

    def refresh(self) -> None:
        """Make every write so far visible to search (tests; production relies on refresh_interval)."""
        if self._indices_of(self.alias):
            self._call(lambda: self.client.indices.refresh(index=self.alias))

    # ------------------------------------------------------------------------- writes --

    def _write_targets(self) -> list[str]:
        targets = [self.alias]
        if self._indices_of(self.building_alias):
            targets.append(self.building_alias)
        return targets

    def _bulk(self, actions: list[dict], *, building: bool = False) -> None:
        if not actions:
            return
        refresh = self.refresh_mode
        if building and refresh == "wait_for":
            # The index being loaded has refresh turned off: waiting for a refresh would never end.
            refresh = True

        def send():
            return streaming_bulk(
                self.client, actions, chunk_size=BULK_CHUNK, refresh=refresh,
                require_alias=True, raise_on_error=False, max_retries=2, initial_backoff=0.1,
                max_backoff=1.0,
            )

        failures = []
        for ok, item in self._call(lambda: list(send())):
            if not ok:
                op, detail = next(iter(item.items()))
                # A delete of an id the index never had is fine.
                if op == "delete" and detail.get("status") == 404:
                    continue
                failures.append(item)
        if failures:
            statuses = {next(iter(item.values())).get("status") for item in failures}
            if statuses & UNAVAILABLE_STATUSES:
                raise SearchUnavailable(f"Elasticsearch refused {len(failures)} writes: {failures[:3]}")
            raise BulkIndexError(f"{len(failures)} document(s) failed to index.", failures)

    def index(self, documents: list[dict]) -> None:
        if not documents:
            return
        self.ensure_index()
        targets = self._write_targets()
        actions = []
        for target in targets:
            actions.extend(index_actions(documents, target))
        self._bulk(actions, building=len(targets) > 1)

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        self.ensure_index()
        targets = self._write_targets()
        actions = [{"_op_type": "delete", "_index": self.alias, "_id": str(listing_id)} for listing_id in ids]
        if len(targets) > 1:
            # A rebuild is loading: leave a tombstone there, so that the copy it read before this
            # delete cannot be created afterwards (op_type=create collides with it). The rebuild
            # sweeps the tombstones once its index is live.
            actions.extend(
                {"_op_type": "index", "_index": self.building_alias, "_id": str(listing_id),
                 "_source": {"id": int(listing_id), "state": TOMBSTONE}}
                for listing_id in ids
            )
        self._bulk(actions, building=len(targets) > 1)

    def clear(self) -> None:
        """Drop every index of this prefix (the next write creates a fresh one)."""
        names = set(self._indices_of(self.alias)) | set(self._indices_of(self.building_alias))
        pattern = f"{self.alias}_v*"
        names |= set(self._call(lambda: self.client.indices.get(index=pattern, ignore_unavailable=True)).body)
        if names:
            self._call(lambda: self.client.indices.delete(index=",".join(sorted(names)), ignore_unavailable=True))

    def rebuild(self, documents_iter: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Load a new index from the documents, then swap the alias to it atomically (see rebuild.py)."""
        return AtomicRebuild(self).run(documents_iter, progress)


    # -------------------------------------------------------------------------- reads --

    def compile(self, query: SearchQuery) -> list[dict]:
        """The _msearch lines search() sends first for this query (benchmarks send them with the bare
        client): among devices for a query asking for one."""
        groups = query_groups(query.q)
        return search_lines(replace(query, accessory=False) if asks_for_a_device(groups) else query, groups)

    def search(self, query: SearchQuery) -> SearchResults:
        """Every query word must match. When the words match no listing at all (whatever the
        filters), typos are forgiven, then the search is relaxed (see `_forgiving`). A query asking
        for a device makes these tries among devices; its accessories come only when no try finds
        a device at all."""
        started = time.perf_counter()
        groups = query_groups(query.q)
        if query.q.strip() and not groups:
            # Only stopwords or punctuation: nothing can match, as in the database backend.
            return SearchResults(hits=[], total=0, total_is_exact=True, facets={}, took_ms=0.0)
        try:
            if asks_for_a_device(groups):
                hits, facets, matched, found_device = self._tries(replace(query, accessory=False), groups, devices=True)
                if not hits["hits"]["total"]["value"] and not found_device:
                    hits, facets, matched, _found = self._tries(query, groups)
            else:
                hits, facets, matched, _found = self._tries(query, groups)
        except NotFoundError:
            # No index yet: nothing has been indexed.
            return SearchResults(hits=[], total=0, total_is_exact=True, facets={},
                                 took_ms=(time.perf_counter() - started) * 1000)
        return self._results(hits, facets, query, matched, started)

    def _msearch(self, lines: list[dict]) -> tuple[dict, dict]:
        """One round trip for the page and the facet counts; a failed part raises like a failed search."""
        response = self._call(lambda: self.client.msearch(index=self.alias, searches=lines))
        parts = response["responses"]
        for part in parts:
            if "error" in part:
                status = part.get("status", 500)
                error = ApiError(message=str(part["error"]), meta=response.meta, body=part)
                if status == 404:
                    raise NotFoundError(message=str(part["error"]), meta=response.meta, body=part)
                if status in UNAVAILABLE_STATUSES:
                    raise self._unavailable(error)
                raise error
        return parts[0], parts[1]

    def _tries(self, query: SearchQuery, groups, devices: bool = False):
        """The full match, then (`_forgiving`) the typos forgiven and the relaxed matches. Returns
        (hits, facets, the groups that matched, whether the words of a try match any listing (any
        device, with `devices`) whatever the filters)."""
        hits, facets = self._msearch(search_lines(query, groups))
        if hits["hits"]["total"]["value"] or not groups:
            return hits, facets, groups, bool(hits["hits"]["total"]["value"])
        text_found, found = self._presence(groups, devices)
        if text_found:
            return hits, facets, groups, True
        return self._forgiving(query, groups, found, devices, hits, facets)

    def _matches_any(self, groups, relaxed, devices: bool) -> bool:
        """Does any listing (any device, with `devices`) match these relaxed words, whatever the filters?"""
        anything = SearchQuery(accessory=False if devices else None, page_size=1)
        hits, _facets = self._msearch(search_lines(anything, groups, relaxed=relaxed))
        return hits["hits"]["total"]["value"] > 0

    def _forgiving(self, query: SearchQuery, groups, found: list[bool], devices: bool, hits, facets):
        """A query whose words match no listing at all: typos forgiven in the words no listing holds
        (the vocabulary's words one edit away, edit distance on titles for unknown words), then
        relaxed searches (search.analysis.relaxations); the first that finds something answers.
        Returns as `_tries`."""
        corrected = list(groups)
        for index, word in typo_candidates(query.q, corrected):
            if not found[index]:
                corrected[index] = tuple(sorted({*corrected[index], *known_correction(word)}))
        typo_terms = [term if term and not found[index] and not is_known(term) else None
                      for index, term in enumerate(self._typo_terms(query.q, groups))]
        if any(typo_terms) or corrected != list(groups):
            if not devices and query.accessory is None and asks_for_a_device(corrected):  # macbok: a device after all
                hits, facets = self._msearch(search_lines(replace(query, accessory=False), corrected, typo_terms))
                if hits["hits"]["total"]["value"] or self._presence(corrected, devices=True)[0]:
                    return hits, facets, corrected, True
            hits, facets = self._msearch(search_lines(query, corrected, typo_terms))
            if hits["hits"]["total"]["value"]:
                return hits, facets, corrected, True
            text_found, corrected_found = self._presence(corrected, devices)
            if text_found:
                return hits, facets, corrected, True
            if not any(typo_terms):
                groups, found = corrected, corrected_found
        text_found = False
        if len(groups) >= 2:
            for plan in relaxations(query.q, list(groups), found):
                relaxed = None if plan.required is None else (plan.required, plan.minimum)
                hits, facets = self._msearch(search_lines(query, list(plan.groups), relaxed=relaxed))
                if hits["hits"]["total"]["value"]:
                    return hits, facets, list(plan.groups), True
                text_found = text_found or (query.filtered and self._matches_any(list(plan.groups), relaxed, devices))
        return hits, facets, groups, text_found

    def _presence(self, groups, devices: bool = False) -> tuple[bool, list[bool]]:
        """Whether any listing (any device, with `devices`) matches every group, and for each group
        whether any listing holds one of its terms (one round trip, whatever the filters)."""
        response = self._call(lambda: self.client.msearch(index=self.alias, searches=presence_lines(groups, devices)))
        found = [part.get("hits", {}).get("total", {}).get("value", 0) > 0 for part in response["responses"]]
        return found[0], found[1:]

    @staticmethod
    def _typo_terms(q: str, groups) -> list[str | None]:
        """For each group, its term when it came from a Latin word of four letters or more."""
        stems = {stem(word) for word in latin_words(q)}
        return [next((term for term in group if term in stems), None) for group in groups]

    def _results(self, response, facet_response, query: SearchQuery, groups, started: float) -> SearchResults:
        hits = []
        for hit in response["hits"]["hits"]:
            source = hit.get("_source") or {}
            distance = None
            location = source.get("location")
            if query.near is not None and location:
                distance = round(haversine_km(query.near, (location["lat"], location["lon"])), 3)
            hits.append(SearchHit(
                id=int(hit["_id"]),
                score=float(hit.get("_score") or 0.0),
                highlights=highlights(source.get("title", ""), source.get("description", ""), groups),
                distance_km=distance,
            ))
        total = response["hits"]["total"]
        facets = {}
        aggregations = facet_response.get("aggregations") or {}
        for facet in FACET_FIELDS:
            if facet in aggregations:
                buckets = aggregations[facet]["values"]["buckets"]
                facets[facet] = sort_facet_values({bucket["key"]: bucket["doc_count"] for bucket in buckets})
        if "price" in aggregations:
            buckets = aggregations["price"]["values"]["buckets"]
            facets["price"] = price_facet({bucket["key"]: bucket["doc_count"] for bucket in buckets})
        exact = total["relation"] == "eq"
        return SearchResults(
            hits=hits,
            total=min(total["value"], TOTAL_CAP) if not exact else total["value"],
            total_is_exact=exact,
            facets=facets,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def suggest(self, prefix: str, limit: int = 10) -> Suggestions:
        """One request: the indexed categories (an aggregation), whole titles (completion), then
        titles with a word that starts with the prefix (a prefix query), newest first within each."""
        word = clean(stem(prefix)) if " " not in prefix else ""
        body = compile_suggest(prefix, limit, word)
        try:
            response = self._call(lambda: self.client.search(index=self.alias, body=body))
        except NotFoundError:
            return Suggestions(category_ids=[], titles=[])
        titles = [(option.get("_source") or {}).get("title") for option in response["suggest"]["titles"][0]["options"]]
        titles += [(hit.get("_source") or {}).get("title") for hit in response["hits"]["hits"]]
        return Suggestions(
            category_ids=[bucket["key"] for bucket in response["aggregations"]["categories"]["buckets"]],
            titles=[title for title in titles if title],
        )
