"""What the SQLite and PostgreSQL backends share: the document and facet-cell writes, the filters
and sort orders, the facet counting plan, suggestions, and database errors as SearchUnavailable.

Each engine's own SQL (its text match and rank, how it counts facets in one pass, how it reads a
page, how it writes rows in bulk) lives in its module, `sqlite.py` or `postgresql.py`, as a
subclass of `DatabaseSearchBackend` that fills in the hooks below.
"""
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from math import cos, radians

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from search.analysis import asks_for_a_device, query_groups, relaxations
from search.backends.base import (
    FACETS,
    TOTAL_CAP,
    SearchBackend,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    Suggestions,
    price_facet,
    price_step,
    sort_facet_values,
)
from search.backends.database.schema import (
    DOCUMENT_TABLE,
    FACET_CELL_KEY,
    FACET_CELL_TABLE,
    facet_cell_key_sql,
    fill_facet_cells,
    price_bucket_sql,
)
from search.models import ListingSearchFacetCell
from search.text import clean, normalize, stem

logger = logging.getLogger("search.database")

EARTH_DIAMETER_KM = 12742.0
KM_PER_DEGREE = 111.2
BATCH_SIZE = 500
DOCUMENT_COLUMNS = (
    "listing_id", "title", "description", "title_normalized", "title_tokens", "body_tokens", "identifiers",
    "category_tokens", "category_id", "category_path", "kind", "grade_code", "condition", "accessory", "price_fen",
    "city", "district", "latitude", "longitude", "certified", "inspected", "published_at", "indexed_at", "deal",
)
# How much an accessory's relevance counts against a device's (AirPods above AirPods cases).
ACCESSORY_FACTOR = 0.4
# A relaxed search ranks by how many query words a listing matches first: each counts this much more
# than any text score.
MATCHED_WORD_SCORE = 10000


@dataclass(frozen=True)
class TextMatch:
    """The words part of a search: OR-groups of index terms, every one to match (`required` None);
    or, relaxed, at least one of the `required` groups and at least `minimum` groups in all, the
    listings that match more groups first."""

    groups: tuple[tuple[str, ...], ...]
    typo_words: tuple[str | None, ...] = ()  # PostgreSQL: the raw word a group may also match by trigrams
    required: tuple[int, ...] | None = None
    minimum: int = 1

    @property
    def relaxed(self) -> bool:
        return self.required is not None

    def typo_word(self, index: int) -> str | None:
        return self.typo_words[index] if index < len(self.typo_words) else None


def cell_key(row) -> tuple:
    """A facet cell's key (schema.FACET_CELL_KEY) from a row in that column order."""
    category_id, path, kind, grade, condition, city, step, certified, inspected = row
    return (int(category_id), path or "", kind, grade or "", condition or "", city or "", int(step), bool(certified),
            bool(inspected))


def capped(count: int) -> tuple[int, bool]:
    """A count as the API reports a total: exact up to TOTAL_CAP, a lower bound beyond it."""
    return (TOTAL_CAP, False) if count > TOTAL_CAP else (count, True)


def page_total(query: SearchQuery, hits_on_page: int, matched: int) -> tuple[int, bool]:
    """The total of a search whose facets counted `matched` rows: a short page that is not past
    the end knows it exactly; otherwise the facets' count, capped."""
    if hits_on_page < query.page_size and (hits_on_page or query.offset == 0):
        return query.offset + hits_on_page, True
    return capped(matched)


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Clause:
    """A piece of SQL with its parameters; `facet` names the facet that ignores it."""

    def __init__(self, sql: str, params: list | tuple = (), facet: str | None = None,
                 radius_km: float | None = None):
        self.sql, self.params, self.facet = sql, list(params), facet
        # Set on the exact-distance clause: a statement that selects the distance may compare
        # that column with the radius instead of computing the distance twice.
        self.radius_km = radius_km


def where(clauses: list[Clause], skip_facet: str | None = None) -> tuple[str, list]:
    """The clauses (but those of `skip_facet`) joined with AND, and their parameters."""
    used = [c for c in clauses if skip_facet is None or c.facet != skip_facet]
    if not used:
        return "1 = 1", []
    return " AND ".join(f"({c.sql})" for c in used), [p for c in used for p in c.params]


@contextmanager
def unavailable_on_database_error():
    """A database that cannot be reached (or is locked) makes search unavailable, not a 500."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        logger.exception("Database search failed")
        raise SearchUnavailable(str(exc)) from exc


class DatabaseSearchBackend(SearchBackend):
    """The database backend on one connection; `search.backends.database.DatabaseBackend(using)`
    gives the subclass of that connection's engine."""

    name = "database"
    # SQL function of the smaller of two values (PostgreSQL's LEAST skips NULLs).
    least = "MIN"

    def __init__(self, using: str = "default"):
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    # ------------------------------------------------------------ engine hooks --

    def text(self, match: TextMatch) -> tuple[str, Clause, tuple[str, list]]:
        """(FROM tables, WHERE clause, (score SQL, params)) of the words of a search (see TextMatch)."""
        raise NotImplementedError

    def _group_matches(self, group: tuple[str, ...]) -> bool:
        """Does any indexed listing hold a term of this group?"""
        raise NotImplementedError

    def _text_matches(self, match: TextMatch, devices: bool = False) -> bool:
        """Does any indexed listing (any device, with `devices`) match these words (whatever the filters)?"""
        tables, clause, _score = self.text(match)
        sql = f"SELECT 1 FROM {tables} WHERE {clause.sql}{' AND NOT d.accessory' if devices else ''} LIMIT 1"
        with self.connection.cursor() as cursor:
            cursor.execute(sql, clause.params)
            return cursor.fetchone() is not None

    def prefix_titles_sql(self, term: str, limit: int) -> tuple[str, list]:
        """Titles with a word that starts with `term`, newest first."""
        raise NotImplementedError

    def _search(self, query: SearchQuery, match: TextMatch | None) -> SearchResults:
        """The page, the total and the facets of a query (its words: `match`, None without words)."""
        raise NotImplementedError

    def _served_facets(self, named: str, tables: str, where_sql: str, columns: list[str], plan: dict,
                       cells: bool) -> tuple[str, list[str]]:
        """The part of `_facets_statement` that counts the total and the facets the one pass over
        the matching rows serves: (the statement's prefix, its UNION ALL parts)."""
        raise NotImplementedError

    def _forgiving_typos(self, query: SearchQuery, match: TextMatch, found: list[bool]) -> TextMatch | None:
        """The words of a query that match nothing, forgiving typos in those whose group no listing
        holds (`found[i]` False); None when there is nothing to forgive."""
        return None

    def _write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert these rows (in bulk)."""
        raise NotImplementedError

    def _suspend_text_index(self) -> None:
        """A whole rebuild is about to replace every document (in its transaction)."""

    def _resume_text_index(self) -> None:
        """Every document of the rebuild is written (in its transaction)."""

    def _after_rebuild(self, in_transaction: bool) -> None:
        """Engine upkeep after a rebuild: inside its transaction (`in_transaction`), then after it."""

    # ------------------------------------------------------------------ writes --

    def index(self, documents: list[dict]) -> None:
        if not documents:
            return
        with unavailable_on_database_error(), transaction.atomic(using=self.using):
            cells = self._delete_rows([doc["id"] for doc in documents])
            cells.update(self._insert(documents))
            self._apply_cell_changes(cells)

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with unavailable_on_database_error(), transaction.atomic(using=self.using):
            self._apply_cell_changes(self._delete_rows(ids))

    def clear(self) -> None:
        with unavailable_on_database_error(), transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE}")
            cursor.execute(f"DELETE FROM {FACET_CELL_TABLE}")

    def rebuild(self, documents_iter: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Replace everything in one transaction: searches see the old index until the commit."""
        count = 0
        with unavailable_on_database_error(), transaction.atomic(using=self.using):
            self._suspend_text_index()
            self.clear()
            for batch in _batches(documents_iter, BATCH_SIZE):
                self._insert(batch)
                count += len(batch)
                if progress:
                    progress(count)
            self._resume_text_index()
            # One recount at the end instead of a cell update per batch.
            fill_facet_cells(self.connection)
            self._after_rebuild(in_transaction=True)
        self._after_rebuild(in_transaction=False)
        return count

    def _delete_rows(self, ids: list[int]) -> Counter:
        """Delete these documents; returns their facet cells as negative counts."""
        ids = [int(i) for i in ids]
        cells: Counter = Counter()
        with self.connection.cursor() as cursor:
            for start in range(0, len(ids), BATCH_SIZE):
                chunk = ids[start:start + BATCH_SIZE]
                marks = ", ".join(["%s"] * len(chunk))
                # RETURNING: the rows this statement removed, not those a concurrent write already did.
                cursor.execute(f"DELETE FROM {DOCUMENT_TABLE} WHERE listing_id IN ({marks}) RETURNING {facet_cell_key_sql()}", chunk)
                cells.subtract(cell_key(row) for row in cursor.fetchall())
        return cells

    def _insert(self, documents: list[dict]) -> Counter:
        """Insert these documents; returns their facet cells as positive counts."""
        rows, cells = [], Counter()
        now, adapt = timezone.now(), self.connection.ops.adapt_datetimefield_value
        for doc in documents:
            lat, lon = doc["location"] if doc.get("location") else (None, None)
            category_ids = list(dict.fromkeys(int(c) for c in doc["category_ids"]))
            path, grade, city = " ".join(str(c) for c in category_ids), doc.get("grade_code") or "", doc.get("city") or ""
            condition = doc.get("condition") or ""
            certified, inspected = bool(doc.get("certified")), bool(doc.get("inspected"))
            rows.append((
                doc["id"], doc["title"], doc.get("description") or "",
                doc.get("title_normalized") or normalize(doc["title"]),
                doc["title_tokens"], doc["body_tokens"], doc.get("identifiers", ""), doc.get("category_tokens", ""),
                category_ids[0], path, doc["kind"], grade, condition, bool(doc.get("accessory")), doc["price_fen"], city,
                doc.get("district") or "", lat, lon, certified, inspected,
                adapt(doc["published_at"]), adapt(now), doc.get("deal") or "sale",
            ))
            cells[cell_key((category_ids[0], path, doc["kind"], grade, condition, city,
                            price_step(doc["price_fen"])[0], certified, inspected))] += 1
        self._write(DOCUMENT_TABLE, DOCUMENT_COLUMNS, rows)
        return cells

    def _apply_cell_changes(self, cells: Counter) -> None:
        """Add the changed counts to the facet cells, in key order (so two writers never deadlock)."""
        changes = sorted((key, n) for key, n in cells.items() if n)
        if not changes:
            return
        names = ", ".join(FACET_CELL_KEY)
        marks = ", ".join(["%s"] * (len(FACET_CELL_KEY) + 1))
        with self.connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {FACET_CELL_TABLE} ({names}, documents) VALUES ({marks}) "
                f"ON CONFLICT ({names}) DO UPDATE SET documents = {FACET_CELL_TABLE}.documents + excluded.documents",
                [(*key, n) for key, n in changes],
            )
            if any(n < 0 for _key, n in changes):
                cursor.execute(f"DELETE FROM {FACET_CELL_TABLE} WHERE documents <= 0")

    # ------------------------------------------------------------------- reads --

    def search(self, query: SearchQuery) -> SearchResults:
        """Every query word must match. When the words match no listing at all (whatever the
        filters), typos are forgiven, then the search is relaxed (`search.analysis.relaxations`):
        the first of these that finds something answers. A query asking for a device makes these
        tries among devices; its accessories come only when no try finds a device at all."""
        started = time.perf_counter()
        groups = tuple(query_groups(query.q))
        if query.q.strip() and not groups:
            # Only stopwords or punctuation: nothing can match (not every listing).
            return SearchResults(hits=[], total=0, total_is_exact=True, facets={}, took_ms=0.0)
        with unavailable_on_database_error():
            if asks_for_a_device(groups):
                results, found_device = self._tries(replace(query, accessory=False), groups, devices=True)
                if not results.total and not found_device:
                    results, _found = self._tries(query, groups)
            else:
                results, _found = self._tries(query, groups)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    def _tries(self, query: SearchQuery, groups: tuple, devices: bool = False) -> tuple[SearchResults, bool]:
        """The full match, then the typos forgiven, then the relaxed matches; with whether the words
        of a try match any listing (any device, with `devices`) whatever the filters."""
        match = TextMatch(groups) if groups else None
        results = self._search(query, match)
        if results.total or not groups:
            return results, bool(results.total)
        text_found = self._text_matches(match, devices)
        if query.filtered and text_found:
            return results, True
        found = [self._group_matches(group) for group in groups]
        corrected = self._forgiving_typos(query, match, found) if not all(found) else None
        if corrected is not None:
            if not devices and asks_for_a_device(corrected.groups):  # macbok: a device after all
                results = self._search(replace(query, accessory=False), corrected)
                if results.total or self._text_matches(corrected, devices=True):
                    return results, True
            results = self._search(query, corrected)
            corrected_found = bool(results.total) or self._text_matches(corrected, devices)
            if corrected_found:
                match, text_found = corrected, True
                found = [self._group_matches(group) for group in match.groups]
        if results.total == 0 and len(groups) >= 2 and not text_found:
            for plan in relaxations(query.q, list(match.groups), found):
                relaxed = TextMatch(tuple(plan.groups), required=plan.required, minimum=plan.minimum)
                results = self._search(query, relaxed)
                if results.total:
                    return results, True
                text_found = text_found or (query.filtered and self._text_matches(relaxed, devices))
        return results, text_found

    def _statement_parts(self, query: SearchQuery, match: TextMatch | None):
        """What every search statement is made of: (FROM tables, clauses, (score SQL, params),
        (distance SQL, params))."""
        if match is not None:
            tables, text_clause, score = self.text(match)
            clauses = [text_clause]
        else:
            tables, clauses, score = f"{DOCUMENT_TABLE} d", [], ("0.0", [])
        clauses.extend(self._filters(query))
        distance = ("NULL", [])
        if query.near:
            lat, lon = query.near
            distance = (self.distance_sql(), [lat, lat, lon])
        return tables, clauses, score, distance

    def distance_sql(self) -> str:
        """Haversine km from (%s lat, %s lat, %s lon); NULL without a place (PostgreSQL's LEAST skips NULLs)."""
        return (
            "CASE WHEN d.latitude IS NULL OR d.longitude IS NULL THEN NULL ELSE "
            f"{EARTH_DIAMETER_KM} * ASIN({self.least}(1.0, SQRT("
            "POWER(SIN(RADIANS(d.latitude - %s) / 2), 2)"
            " + COS(RADIANS(%s)) * COS(RADIANS(d.latitude)) * POWER(SIN(RADIANS(d.longitude - %s) / 2), 2)))) END"
        )

    def _category_subtree(self, category_id: int) -> list[int]:
        """The category and every category below it (from the per-process category cache)."""
        from listings.models import Category
        from listings.selectors import descendant_ids
        from search.selectors import category_subtree

        if self.using == DEFAULT_DB_ALIAS:
            return category_subtree(category_id)
        return descendant_ids(category_id, {c.pk: c for c in Category.objects.using(self.using).only("parent_id")})

    def _filters(self, query: SearchQuery) -> list[Clause]:
        clauses = []
        if query.category is not None:
            # The listing's own category in the subtree: a plain btree match on the row, no join.
            subtree = self._category_subtree(query.category)
            clauses.append(Clause(
                f"d.category_id IN ({', '.join(['%s'] * len(subtree))})", subtree, facet="category",
            ))
        if query.kind:
            clauses.append(Clause("d.kind = %s", [query.kind], facet="kind"))
        if query.grade:
            clauses.append(Clause("d.grade_code = %s", [query.grade], facet="grade"))
        if query.condition:
            clauses.append(Clause("d.condition = %s", [query.condition], facet="condition"))
        if query.city:
            clauses.append(Clause("d.city = %s", [query.city], facet="city"))
        if query.min_price is not None:
            clauses.append(Clause("d.price_fen >= %s", [query.min_price_fen], facet="price"))
        if query.max_price is not None:
            clauses.append(Clause("d.price_fen <= %s", [query.max_price_fen], facet="price"))
        if query.certified is not None:
            clauses.append(Clause("d.certified = %s", [query.certified]))
        if query.inspected is not None:
            clauses.append(Clause("d.inspected = %s", [query.inspected]))
        if query.deal:
            clauses.append(Clause("d.deal = %s", [query.deal]))
        if query.accessory is not None:
            clauses.append(Clause("d.accessory = %s", [query.accessory]))
        if query.listing_ids is not None:
            ids = sorted(query.listing_ids)
            clauses.append(Clause(f"d.listing_id IN ({', '.join(['%s'] * len(ids))})", ids) if ids else Clause("1 = 0"))
        if query.near and query.radius_km is not None:
            lat, lon = query.near
            dlat = query.radius_km / KM_PER_DEGREE
            dlon = query.radius_km / (KM_PER_DEGREE * max(cos(radians(lat)), 0.01))
            clauses.append(Clause(
                "d.latitude BETWEEN %s AND %s AND d.longitude BETWEEN %s AND %s",
                [lat - dlat, lat + dlat, lon - dlon, lon + dlon],
            ))
            # The exact distance on the few rows the box lets through.
            clauses.append(Clause(f"{self.distance_sql()} <= %s", [lat, lat, lon, query.radius_km],
                                  radius_km=query.radius_km))
        return clauses

    @staticmethod
    def _order(query: SearchQuery, has_text: bool) -> str:
        newest = "d.published_at DESC, d.listing_id DESC"
        # Prices correlate with categories (phones cost more than books): walking the price index
        # and skipping other categories reads most of the table before it finds a cheap phone.
        # `+ 0` keeps the planner off that index when a category is chosen; it reads the
        # category's rows through its own index and sorts them.
        price = "d.price_fen + 0" if query.category is not None else "d.price_fen"
        if query.sort == "price_asc":
            return f"{price} ASC, {newest}"
        if query.sort == "price_desc":
            return f"{price} DESC, {newest}"
        if query.sort == "distance" and query.near:
            return f"distance ASC NULLS LAST, {newest}"
        if query.sort == "relevance" and has_text:
            return f"score DESC, {newest}"
        return newest

    # ------------------------------------------------------------------ facets --

    def _facet_plan(self, clauses, flag_all: bool = False) -> dict:
        """How the facets are counted; see `_facets_statement` (and PostgreSQL's one-pass search)."""
        value_sql = {"category": "d.category_path", "kind": "d.kind", "grade": "d.grade_code",
                     "condition": "d.condition", "city": "d.city", "price": price_bucket_sql("d.price_fen")}
        filtered = [facet for facet in FACETS if any(c.facet == facet for c in clauses)]
        flagged = filtered if flag_all or len(filtered) == 1 else []

        def holding(skip=None):
            flags = [f"f_{facet} = 1" for facet in flagged if facet != skip]
            return " AND ".join(flags) if flags else "1 = 1"

        return {
            "value_sql": value_sql, "filtered": filtered, "flagged": flagged, "holding": holding,
            "served": [facet for facet in FACETS if facet not in filtered or facet in flagged],
            "separate": [facet for facet in filtered if facet not in flagged],
            "conditions": {facet: where([c for c in clauses if c.facet == facet]) for facet in filtered},
        }

    def _facets(self, source, clauses, cells: bool = False) -> tuple[dict[str, list[dict]], int]:
        """All five facets and the total in one statement (see `_facets_statement`)."""
        sql, params = self._facets_statement(source, clauses, cells=cells)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return self._facet_results(rows)

    def _cell_source(self, query: SearchQuery) -> tuple[str, list]:
        """The facet cells as rows that look like documents (`n` documents each), so the facet
        statement filters and groups them as it does documents.

        A cell's price is the lower bound of its price step: a price range holds for every price
        of a step or for none, unless the step holds a bound of the range that is not a step bound
        (an edge step; a maximum of 2000 yuan is one, as it takes 2000.00 but not 2000.01). The
        cells of an edge step get a price just outside the range, so they count only for the price
        facet (which ignores the range); its documents within the range are read from the index
        and added (n = 1) with their own price, and subtracted again (n = -1) with that outside
        price, so that the price facet counts them once.
        """
        low, high = query.min_price_fen, query.max_price_fen
        edges: dict[int, tuple[int | None, int]] = {}  # step's lower bound -> (its upper bound, a price outside)
        if low is not None:
            step_low, step_high = price_step(low)
            if low != step_low:
                edges[step_low] = (step_high, low - 1)
        if high is not None:
            step_low, step_high = price_step(high)
            if step_high is None or high + 1 != step_high:
                edges.setdefault(step_low, (step_high, high + 1))
        cell_price, params = "c.price_step", []
        if edges:
            cell_price = "CASE " + " ".join("WHEN c.price_step = %s THEN %s" for _ in edges) + " ELSE c.price_step END"
            params = [value for step_low, (_high, outside) in edges.items() for value in (step_low, outside)]
        columns = ("category_id", "category_path", "kind", "grade_code", "condition", "city", "certified", "inspected")
        source = (f"SELECT {', '.join(f'c.{name}' for name in columns)}, {cell_price} AS price_fen, "
                  f"c.documents AS n FROM {FACET_CELL_TABLE} c")
        if edges:
            in_step, in_step_params, outside_cases, outside_params = [], [], [], []
            for step_low, (step_high, outside) in edges.items():
                condition = "d.price_fen >= %s" + ("" if step_high is None else " AND d.price_fen < %s")
                bounds = [step_low] + ([] if step_high is None else [step_high])
                in_step.append(f"({condition})")
                in_step_params += bounds
                outside_cases.append(f"WHEN {condition} THEN %s")
                outside_params += [*bounds, outside]
            in_range = ["d.price_fen >= %s"] * (low is not None) + ["d.price_fen <= %s"] * (high is not None)
            where_sql = f"({' OR '.join(in_step)}) AND {' AND '.join(in_range)}"
            where_params = in_step_params + [bound for bound in (low, high) if bound is not None]
            document_columns = ", ".join("COALESCE(d.category_path, '')" if name == "category_path" else f"d.{name}"
                                         for name in columns)
            for price, n, price_params in (("d.price_fen", "1", []),
                                           (f"CASE {' '.join(outside_cases)} END", "-1", outside_params)):
                source += (f" UNION ALL SELECT {document_columns}, {price}, {n} FROM {DOCUMENT_TABLE} d "
                           f"WHERE {where_sql}")
                params += price_params + where_params
        return f"({source}) d", params

    def _facets_statement(self, source, clauses, cells: bool = False) -> tuple[str, list]:
        """The statement counting all five facets and the total, as (facet, value, count) rows; a
        facet ignores its own filter. `source` is the FROM clause (SQL and parameters).

        `cells`: the source is `_cell_source`, whose rows each count `n` documents.

        The matching rows are read once and grouped by (category path, kind, grade, city, price
        bucket): a few thousand groups at most, from which each facet and the total are summed
        (`_served_facets`, the engine's own SQL). The category facet comes from the stored
        category path (the category and its ancestors), so no join is needed. A facet whose own
        filter is set counts a wider set of rows:

        - with one such facet, the one pass reads that wider set and also groups by whether the
          facet's filter holds (the other facets and the total sum only the groups where it does);
        - with two or more, each of them counts its own set in a plain GROUP BY, and the pass
          over the matching rows serves the rest (flagging them all in one pass instead cost
          twice as much over the cells: every row then feeds all six groupings).
        """
        tables, source_params = source
        plan = self._facet_plan(clauses)
        flagged, value_sql = plan["flagged"], plan["value_sql"]
        count = "SUM(d.n)" if cells else "COUNT(*)"
        select = [value_sql[facet] for facet in FACETS]
        columns = list(FACETS)
        params: list = []
        for facet in flagged:
            sql, flag_params = plan["conditions"][facet]
            select.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END")
            columns.append(f"f_{facet}")
            params.extend(flag_params)
        where_sql, where_params = where([c for c in clauses if not c.facet or c.facet not in flagged])
        params.extend(source_params + where_params)
        named = ", ".join(f"{sql} AS {name}" for sql, name in zip(select, columns, strict=True))
        prefix, parts = self._served_facets(named, tables, where_sql, columns, plan, cells)
        for facet in plan["separate"]:
            own_where, own_params = where(clauses, skip_facet=facet)
            value = value_sql[facet]
            parts.append(f"SELECT '{facet}' AS facet, CAST({value} AS TEXT) AS value, {count} AS n "
                         f"FROM {tables} WHERE {own_where} GROUP BY {value}")
            params.extend(source_params + own_params)
        return prefix + " UNION ALL ".join(parts), params

    @staticmethod
    def _facet_results(rows) -> tuple[dict[str, list[dict]], int]:
        """(facet, value, count) rows (the category's value is a category path) -> (facets, total)."""
        counts: dict[str, dict] = {facet: {} for facet in FACETS}
        total = 0
        for facet, value, count in rows:
            count = int(count or 0)
            if facet == "total":
                total = count
            elif facet == "category":
                for category_id in (value or "").split():
                    key = int(category_id)
                    counts["category"][key] = counts["category"].get(key, 0) + count
            elif value not in (None, ""):
                counts[facet][value] = count
        counts = {name: {value: n for value, n in values.items() if n} for name, values in counts.items()}
        facets = {name: sort_facet_values(values) for name, values in counts.items() if name != "price"}
        facets["price"] = price_facet(counts["price"])
        return facets, total

    # ------------------------------------------------------------- suggestions --

    def suggest(self, prefix: str, limit: int = 10) -> Suggestions:
        titles: list[str] = []
        with unavailable_on_database_error():
            # Categories holding an indexed listing, themselves or below: the cells' category paths.
            paths = ListingSearchFacetCell.objects.using(self.using).values_list("category_path", flat=True).distinct()
            indexed = sorted({int(category_id) for path in paths for category_id in path.split()})
            like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT title FROM {DOCUMENT_TABLE} WHERE title_normalized LIKE %s ESCAPE '\\' "
                    "ORDER BY published_at DESC, listing_id DESC LIMIT %s",
                    [like, limit],
                )
                titles.extend(title for (title,) in cursor.fetchall())
            term = clean(stem(prefix)) if " " not in prefix else ""
            if len({normalize(title) for title in titles}) < limit and term:
                sql, params = self.prefix_titles_sql(term, limit * 2)
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    titles.extend(title for (title,) in cursor.fetchall())
        return Suggestions(category_ids=indexed, titles=titles)
