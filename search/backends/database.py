"""The database backend: works on the project's own database, with no extra service.

Index data lives in search.models, written when a listing changes and never recomputed per
query: one ListingSearchDocument per active listing (with its category path: the category and its
ancestors), and ListingSearchFacetCell counts (documents per combination of facet values). Text
matching uses the engine's full-text index:

- SQLite: FTS5 (external content, kept in step by triggers), ranked by bm25 with column weights
  (title and identifiers above the listing's own category name, above the body). No typo
  tolerance beyond the pinyin and synonym layer of search.text.
- PostgreSQL: a stored, weighted tsvector (GIN), ranked by ts_rank (title and identifiers
  weight A, the listing's own category B, body C). A query that finds nothing is retried with trigram
  word similarity on the normalized title for its Latin words (pg_trgm), so `iphnoe` finds iPhones.

Every query token is an OR-group of its synonyms; a document must match every group. Geo
search: a bounding-box prefilter on (latitude, longitude) (btree) and the exact haversine
distance on the rows left; at our scale (a few thousand listings within a radius) this beats
per-row earthdistance and needs no extension on either engine (see docs/search.md).

Facets of a search without words, radius or price range are sums over the facet cells (a few
thousand rows, whatever the corpus size); other searches count the matching documents. On
PostgreSQL the searches without words read covering indexes only (search.models) and count
every facet in one GROUPING SETS pass.
"""
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from math import cos, radians

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from listings.models import Listing
from search.backends.base import (
    FACETS,
    TOTAL_CAP,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    price_facet,
    price_step,
    sort_facet_values,
)
from search.highlight import highlights
from search.models import ListingSearchFacetCell
from search.schema import (
    DOCUMENT_TABLE,
    FACET_CELL_KEY,
    FACET_CELL_TABLE,
    FTS_TABLE,
    facet_cell_key_sql,
    fill_facet_cells,
    has_pg_trgm,
    price_bucket_sql,
    resume_sqlite_fts,
    suspend_sqlite_fts,
)
from search.selectors import CARD_COLUMN_COUNT, card_columns_sql, card_from_row
from search.text import clean, expand, latin_words, normalize, query_tokens, stem

logger = logging.getLogger("search.database")

LISTING_TABLE = Listing._meta.db_table
# The columns a facet row leaves empty in a statement that returns hits too (listing id, score,
# distance, title, description, then the card).
HIT_PADDING = ", NULL" * (5 + CARD_COLUMN_COUNT)
EARTH_DIAMETER_KM = 12742.0
KM_PER_DEGREE = 111.2
TRIGRAM_THRESHOLD = 0.4  # word_similarity: catches one swapped pair of letters in a six-letter word
# ts_rank weights of D, C (body), B (own category), A (title, identifiers).
RANK_WEIGHTS = "0.1, 0.2, 0.6, 1.0"
BATCH_SIZE = 500
DOCUMENT_COLUMNS = (
    "listing_id", "title", "description", "title_normalized", "title_tokens", "body_tokens", "identifiers",
    "category_tokens", "category_id", "category_path", "kind", "grade_code", "price_fen", "city", "district",
    "latitude", "longitude", "certified", "inspected", "published_at", "indexed_at",
)


def _cell_key(row) -> tuple:
    """A facet cell's key (search.schema.FACET_CELL_KEY) from a row in that column order."""
    category_id, path, kind, grade, city, step, certified, inspected = row
    return (int(category_id), path or "", kind, grade or "", city or "", int(step), bool(certified), bool(inspected))


def _capped(count: int) -> tuple[int, bool]:
    """A count as the API reports a total: exact up to TOTAL_CAP, a lower bound beyond it."""
    return (TOTAL_CAP, False) if count > TOTAL_CAP else (count, True)


def _page_total(query: SearchQuery, hits_on_page: int, matched: int) -> tuple[int, bool]:
    """The total of a search whose facets counted `matched` rows: a short page that is not past
    the end knows it exactly; otherwise the facets' count, capped."""
    if hits_on_page < query.page_size and (hits_on_page or query.offset == 0):
        return query.offset + hits_on_page, True
    return _capped(matched)


def _page_order(order: str) -> str:
    """An ORDER BY over the document's columns (`d.`), over those of the page CTE (`p.`) instead."""
    return ", ".join(f"p.{term}" for term in order.replace("d.", "").split(", "))


def _grouping_sets(source: str, value_sql: dict[str, str], holding, count: str, padding: str = "") -> str:
    """PostgreSQL: the total and each facet's (value, count) rows in one pass over `source`.

    One GROUPING SETS pass instead of one GROUP BY per facet. A facet counts the rows where
    every other facet filter holds (`holding(facet)`), the total those where all hold; GROUPING()
    says which set a row belongs to (a bit per facet column, set when it is not grouped).
    """
    facets = list(value_sql)
    everything = (1 << len(facets)) - 1
    names = [f"WHEN {everything} THEN 'total'"]
    counts = [f"WHEN {everything} THEN {count} FILTER (WHERE {holding()})"]
    for position, facet in enumerate(facets):
        mask = everything & ~(1 << (len(facets) - 1 - position))
        names.append(f"WHEN {mask} THEN '{facet}'")
        counts.append(f"WHEN {mask} THEN {count} FILTER (WHERE {holding(facet)})")
    if not facets:
        return f"SELECT 'total', NULL, {count} FILTER (WHERE {holding()}){padding} FROM {source}"
    grouping = f"GROUPING({', '.join(value_sql.values())})"
    value = "COALESCE(" + ", ".join(f"CAST({sql} AS TEXT)" for sql in value_sql.values()) + ")"
    sets = ", ".join(f"({sql})" for sql in value_sql.values())
    return (
        f"SELECT CASE {grouping} {' '.join(names)} END, {value}, CASE {grouping} {' '.join(counts)} END{padding} "
        f"FROM {source} GROUP BY GROUPING SETS ({sets}, ())"
    )


def _grouped(source: str, columns: list[str]) -> str:
    """`source`'s rows counted (`n`) per combination of these columns: a few hundred groups for
    thousands of matching rows, so that the GROUPING SETS pass over them hashes each row once
    instead of once per facet (measured: 1 to 1.5 ms less on 8,142 rows)."""
    names = ", ".join(columns)
    return f"(SELECT {names}, COUNT(*) AS n FROM {source} GROUP BY {names}) g"


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


class _Dialect:
    vendor = ""
    least = "MIN"

    def __init__(self, connection):
        self.connection = connection

    def distance_sql(self) -> str:
        """Haversine km from (%s lat, %s lat, %s lon); NULL without a place (PostgreSQL's LEAST skips NULLs)."""
        return (
            "CASE WHEN d.latitude IS NULL OR d.longitude IS NULL THEN NULL ELSE "
            f"{EARTH_DIAMETER_KM} * ASIN({self.least}(1.0, SQRT("
            "POWER(SIN(RADIANS(d.latitude - %s) / 2), 2)"
            " + COS(RADIANS(%s)) * COS(RADIANS(d.latitude)) * POWER(SIN(RADIANS(d.longitude - %s) / 2), 2)))) END"
        )

    def text(self, groups, typo_words) -> tuple[str, Clause, tuple[str, list]]:
        """(FROM tables, WHERE clause, (score SQL, params)) matching every OR-group."""
        raise NotImplementedError

    def prefix_titles_sql(self, term: str, limit: int) -> tuple[str, list]:
        raise NotImplementedError


class _SQLite(_Dialect):
    vendor = "sqlite"
    least = "MIN"
    # bm25 weights of the FTS columns: title_tokens, body_tokens, identifiers, category_tokens.
    WEIGHTS = (10.0, 2.0, 10.0, 6.0)

    @staticmethod
    def _match_expression(groups) -> str:
        def quoted(token):
            return '"' + token.replace('"', '""') + '"'

        return " AND ".join("(" + " OR ".join(quoted(t) for t in group) + ")" for group in groups)

    def text(self, groups, typo_words):
        tables = f"{DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id"
        where = Clause(f"{FTS_TABLE} MATCH %s", [self._match_expression(groups)])
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        return tables, where, (f"-bm25({FTS_TABLE}, {weights})", [])

    def prefix_titles_sql(self, term, limit):
        sql = (
            f"SELECT d.title FROM {DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id "
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY d.published_at DESC, d.listing_id DESC LIMIT %s"
        )
        return sql, ['title_tokens : "' + term.replace('"', '""') + '" *', limit]


class _PostgreSQL(_Dialect):
    vendor = "postgresql"
    least = "LEAST"

    @staticmethod
    def _tsquery(group) -> tuple[str, list]:
        sql = " || ".join("plainto_tsquery('simple', %s)" for _ in group)
        return f"({sql})", list(group)

    def text(self, groups, typo_words):
        conditions, params = [], []
        for group, typo_word in zip(groups, typo_words, strict=True):
            tsquery, tsparams = self._tsquery(group)
            condition = f"d.search_vector @@ {tsquery}"
            params.extend(tsparams)
            if typo_word:
                condition = f"({condition} OR %s <%% d.title_normalized)"
                params.append(typo_word)
            conditions.append(condition)
        every = [token for group in groups for token in group]
        rank_query, rank_params = self._tsquery(every)
        # ts_rank, not ts_rank_cd: cover density costs two to four times as much per row and the
        # weights (title over category over body) are what ranks our short documents.
        score = f"ts_rank('{{{RANK_WEIGHTS}}}', d.search_vector, {rank_query})"
        typo = [word for word in typo_words if word]
        for _word in typo:
            score += " + 0.1 * word_similarity(%s, d.title_normalized)"
        return f"{DOCUMENT_TABLE} d", Clause(" AND ".join(conditions), params), (score, rank_params + typo)

    def prefix_titles_sql(self, term, limit):
        sql = (
            f"SELECT d.title FROM {DOCUMENT_TABLE} d "
            "WHERE d.search_vector @@ to_tsquery('simple', %s) "
            "ORDER BY d.published_at DESC, d.listing_id DESC LIMIT %s"
        )
        return sql, [f"'{term}':*A", limit]

    def trigram_available(self) -> bool:
        cache = self.connection.__dict__.setdefault("_search_pg_trgm", {})
        if "ok" not in cache:
            cache["ok"] = has_pg_trgm(self.connection)
        return cache["ok"]


@contextmanager
def _unavailable_on_database_error():
    """A database that cannot be reached (or is locked) makes search unavailable, not a 500."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        logger.exception("Database search failed")
        raise SearchUnavailable(str(exc)) from exc


class DatabaseBackend(SearchBackend):
    name = "database"

    def __init__(self, using: str = "default"):
        self.using = using

    @property
    def connection(self):
        return connections[self.using]

    @property
    def capabilities(self) -> frozenset[str]:
        dialect = self.dialect()
        if isinstance(dialect, _PostgreSQL) and dialect.trigram_available():
            return frozenset({"typos"})
        return frozenset()

    def dialect(self) -> _Dialect:
        vendor = self.connection.vendor
        if vendor == "sqlite":
            return _SQLite(self.connection)
        if vendor == "postgresql":
            return _PostgreSQL(self.connection)
        raise ImproperlyConfigured(f"The database search backend supports SQLite and PostgreSQL, not {vendor}.")

    # ------------------------------------------------------------------ writes --

    def index(self, documents: list[dict]) -> None:
        if not documents:
            return
        with _unavailable_on_database_error(), transaction.atomic(using=self.using):
            cells = self._delete_rows([doc["id"] for doc in documents])
            cells.update(self._insert(documents))
            self._apply_cell_changes(cells)

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with _unavailable_on_database_error(), transaction.atomic(using=self.using):
            self._apply_cell_changes(self._delete_rows(ids))

    def clear(self) -> None:
        with _unavailable_on_database_error(), transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DOCUMENT_TABLE}")
            cursor.execute(f"DELETE FROM {FACET_CELL_TABLE}")

    def rebuild(self, documents_iter: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Replace everything in one transaction: searches see the old index until the commit."""
        count = 0
        sqlite = self.connection.vendor == "sqlite"
        with _unavailable_on_database_error(), transaction.atomic(using=self.using):
            if sqlite:
                suspend_sqlite_fts(self.connection)
            self.clear()
            for batch in _batches(documents_iter, BATCH_SIZE):
                self._insert(batch)
                count += len(batch)
                if progress:
                    progress(count)
            if sqlite:
                resume_sqlite_fts(self.connection)
            # One recount at the end instead of a cell update per batch.
            fill_facet_cells(self.connection)
            if self.connection.vendor == "postgresql":
                # Fresh statistics, so the planner uses the GIN index for selective words.
                with self.connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {DOCUMENT_TABLE}, {FACET_CELL_TABLE}")
        if self.connection.vendor == "postgresql" and not self.connection.in_atomic_block:
            # The visibility map, so that index-only scans need not visit the rows they cover
            # (VACUUM cannot run in a transaction; autovacuum does it later otherwise). The first
            # pass clears the replaced rows but leaves about half the pages unmarked (measured:
            # 335 of 664 after one pass, 664 after a second, which only reads those pages).
            with _unavailable_on_database_error(), self.connection.cursor() as cursor:
                cursor.execute(f"VACUUM {DOCUMENT_TABLE}")
                cursor.execute(f"VACUUM {DOCUMENT_TABLE}")
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
                cells.subtract(_cell_key(row) for row in cursor.fetchall())
        return cells

    def _insert(self, documents: list[dict]) -> Counter:
        """Insert these documents (COPY on PostgreSQL); returns their facet cells as positive counts."""
        rows, cells = [], Counter()
        now, adapt = timezone.now(), self.connection.ops.adapt_datetimefield_value
        for doc in documents:
            lat, lon = doc["location"] if doc.get("location") else (None, None)
            category_ids = list(dict.fromkeys(int(c) for c in doc["category_ids"]))
            path, grade, city = " ".join(str(c) for c in category_ids), doc.get("grade_code") or "", doc.get("city") or ""
            certified, inspected = bool(doc.get("certified")), bool(doc.get("inspected"))
            rows.append((
                doc["id"], doc["title"], doc.get("description") or "",
                doc.get("title_normalized") or normalize(doc["title"]),
                doc["title_tokens"], doc["body_tokens"], doc.get("identifiers", ""), doc.get("category_tokens", ""),
                category_ids[0], path, doc["kind"], grade, doc["price_fen"], city,
                doc.get("district") or "", lat, lon, certified, inspected,
                adapt(doc["published_at"]), adapt(now),
            ))
            cells[_cell_key((category_ids[0], path, doc["kind"], grade, city, price_step(doc["price_fen"])[0],
                             certified, inspected))] += 1
        self._write(DOCUMENT_TABLE, DOCUMENT_COLUMNS, rows)
        return cells

    def _write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # COPY: several times the rate of INSERTs for a rebuild, and as good for one row.
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

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
        started = time.perf_counter()
        dialect = self.dialect()
        tokens = query_tokens(query.q)
        groups = expand(tokens)
        with _unavailable_on_database_error():
            results = self._search(dialect, query, groups, [None] * len(groups))
            if results.total == 0 and groups and isinstance(dialect, _PostgreSQL) and dialect.trigram_available():
                typo_words = self._typo_words(query.q, tokens)
                if any(typo_words):
                    with self.connection.cursor() as cursor:
                        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                                       [str(TRIGRAM_THRESHOLD)])
                    results = self._search(dialect, query, groups, typo_words)
        results.took_ms = (time.perf_counter() - started) * 1000
        return results

    @staticmethod
    def _typo_words(q: str, tokens: list[str]) -> list[str | None]:
        """For each query token, the raw Latin word it came from when typos may be forgiven (4+ letters)."""
        by_stem = {stem(word): word for word in latin_words(q)}
        return [by_stem.get(token) for token in tokens]

    def _search(self, dialect, query, groups, typo_words) -> SearchResults:
        if groups:
            tables, text_clause, (score_sql, score_params) = dialect.text(groups, typo_words)
            clauses = [text_clause]
        else:
            tables, clauses, score_sql, score_params = f"{DOCUMENT_TABLE} d", [], "0.0", []
        clauses.extend(self._filters(query, dialect))
        distance_sql, distance_params = ("NULL", [])
        if query.near:
            lat, lon = query.near
            distance_sql, distance_params = dialect.distance_sql(), [lat, lat, lon]

        radius = query.near is not None and query.radius_km is not None
        if (groups or radius) and isinstance(dialect, _PostgreSQL):
            return self._search_one_pass(query, groups, tables, clauses, (score_sql, score_params),
                                         (distance_sql, distance_params))
        where, where_params = self._where(clauses)
        order = self._order(query, bool(groups))
        if isinstance(dialect, _PostgreSQL):
            return self._search_without_words(query, tables, clauses, (where, where_params), order,
                                              (distance_sql, distance_params))
        # Without words there is nothing to highlight: the page needs ids only (an index can answer).
        text_columns = "d.title, d.description" if groups else "NULL, NULL"
        sql = (
            f"SELECT d.listing_id, {score_sql} AS score, {distance_sql} AS distance, {text_columns} "
            f"FROM {tables} WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s"
        )
        params = score_params + distance_params + where_params + [query.page_size, query.offset]
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()

        hits = [
            SearchHit(
                id=row[0], score=float(row[1] or 0.0),
                highlights=highlights(row[3], row[4], groups) if groups else {},
                distance_km=None if row[2] is None else round(float(row[2]), 3),
            )
            for row in rows
        ]
        # Without words or radius every filter is a facet cell column (the price, nearly): count cells.
        by_cells = not groups and not radius
        source = self._cell_source(query) if by_cells else (tables, [])
        facets, matched = self._facets(source, clauses, cells=by_cells)
        total, exact = _page_total(query, len(rows), matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets)

    def _search_without_words(self, query, tables, clauses, where, order, distance) -> SearchResults:
        """PostgreSQL, without words or radius: the page (with its cards) and the facets in one
        statement, so a request waits for the database once. The page reads the covering indexes,
        the facets the facet cells (`_cell_source`)."""
        (where_sql, where_params), (distance_sql, distance_params) = where, distance
        page_sql = (
            f"SELECT d.listing_id AS listing_id, d.published_at AS published_at, d.price_fen AS price_fen, "
            f"0.0 AS score, {distance_sql} AS distance FROM {tables} WHERE {where_sql} ORDER BY {order} LIMIT %s OFFSET %s"
        )
        facets_sql, facets_params = self._facets_statement(self._cell_source(query), clauses, cells=True)
        sql = (
            f"WITH page AS ({page_sql}) "
            f"SELECT 'hit', NULL, ROW_NUMBER() OVER (ORDER BY {_page_order(order)}), p.listing_id, p.score, p.distance, "
            f"NULL, NULL, {card_columns_sql('l')} FROM page p JOIN {LISTING_TABLE} l ON l.id = p.listing_id "
            f"UNION ALL SELECT f.facet, f.value, f.n{HIT_PADDING} FROM ({facets_sql}) f (facet, value, n)"
        )
        params = distance_params + where_params + [query.page_size, query.offset] + facets_params
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        hits, cards, facets, matched = self._page_and_facets(rows, [])
        total, exact = _page_total(query, len(hits), matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets, cards=cards)

    def _search_one_pass(self, query, groups, tables, clauses, score, distance) -> SearchResults:
        """PostgreSQL, with words or a radius: the page, the total and the facets in one statement.

        The matching rows are read once (the GIN match or the box, the rank or the distance, and
        the facet columns) into a materialized CTE; the page is its top rows (title and description
        fetched for those only), the total and the facets are counted from it. When facet filters are set, the CTE
        reads the rows that fail at most one of them and flags, for each, whether it holds: a facet
        counts the rows where every other facet filter holds, the page and the total those where
        all hold (only those are ranked). The words or the box drive the scan, so the wider set
        costs no second pass.
        """
        (score_sql, score_params), (distance_sql, distance_params) = score, distance
        plan = self._facet_plan(clauses, flag_all=True)
        flagged, value_sql = plan["flagged"], plan["value_sql"]
        columns = ["d.listing_id AS listing_id", "d.published_at AS published_at", "d.price_fen AS price_fen"]
        columns += [f"{value_sql[facet]} AS {facet}" for facet in FACETS]
        params: list = []
        for facet in flagged:
            sql, flag_params = plan["conditions"][facet]
            columns.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END AS f_{facet}")
            params.extend(flag_params)
        if flagged:
            every = [plan["conditions"][facet] for facet in flagged]
            columns.append(f"CASE WHEN {' AND '.join(f'({sql})' for sql, _ in every)} THEN {score_sql} END AS score")
            params.extend([p for _, flag_params in every for p in flag_params] + score_params)
        else:
            columns.append(f"{score_sql} AS score")
            params.extend(score_params)
        columns.append(f"{distance_sql} AS distance")
        params.extend(distance_params)
        radius = next((c.radius_km for c in clauses if c.radius_km is not None), None)
        where, where_params = self._where(
            [c for c in clauses if (not c.facet or c.facet not in flagged) and c.radius_km is None]
        )
        if len(flagged) >= 2:
            # At most one facet filter fails: for some facet, all the others hold.
            alternatives = []
            for skipped in flagged:
                others = [plan["conditions"][f] for f in flagged if f != skipped]
                alternatives.append("(" + " AND ".join(f"({sql})" for sql, _ in others) + ")")
                where_params = where_params + [p for _, other_params in others for p in other_params]
            where = f"({where}) AND ({' OR '.join(alternatives)})"
        params.extend(where_params)
        matching = f"SELECT {', '.join(columns)} FROM {tables} WHERE {where}"
        if radius is not None:
            # The box's rows with their distance, then those within the radius: one distance per
            # row (OFFSET 0 keeps the planner from folding the distance back into the filter).
            matching = f"SELECT * FROM ({matching} OFFSET 0) b WHERE distance <= %s"
            params.append(radius)
        holding = plan["holding"]
        order = self._order(query, bool(groups))
        parts = [
            f"SELECT 'hit' AS facet, NULL AS value, ROW_NUMBER() OVER (ORDER BY {_page_order(order)}) AS n, "
            f"p.listing_id, p.score, p.distance, d.title, d.description, {card_columns_sql('l')} "
            f"FROM page p JOIN {DOCUMENT_TABLE} d ON d.listing_id = p.listing_id JOIN {LISTING_TABLE} l ON l.id = p.listing_id",
            _grouping_sets(_grouped("m", [*plan["served"], *(f"f_{facet}" for facet in flagged)]),
                           {facet: facet for facet in plan["served"]}, holding, "SUM(n)", padding=HIT_PADDING),
        ]
        params.extend([query.page_size, query.offset])
        for facet in plan["separate"]:
            own_where, own_params = self._where(clauses, skip_facet=facet)
            value = value_sql[facet]
            parts.append(f"SELECT '{facet}', CAST({value} AS TEXT), COUNT(*){HIT_PADDING} "
                         f"FROM {tables} WHERE {own_where} GROUP BY {value}")
            params.extend(own_params)
        sql = (
            f"WITH m AS MATERIALIZED ({matching}), "
            f"page AS (SELECT listing_id, published_at, price_fen, score, distance FROM m WHERE {holding()} "
            f"ORDER BY {order.replace('d.', '')} LIMIT %s OFFSET %s) "
            + " UNION ALL ".join(parts)
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        hits, cards, facets, matched = self._page_and_facets(rows, groups)
        total, exact = _capped(matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets, cards=cards)

    def _page_and_facets(self, rows, groups) -> tuple[list[SearchHit], dict[int, dict], dict, int]:
        """The rows of a PostgreSQL statement that returns its page (`hit` rows, with their cards)
        and its facets (the other rows) together: hits, cards, facets and the facets' total."""
        page = sorted((row for row in rows if row[0] == "hit"), key=lambda row: row[2])
        facets, matched = self._facet_results([row[:3] for row in rows if row[0] != "hit"])
        hits = [
            SearchHit(
                id=row[3], score=float(row[4] or 0.0),
                highlights=highlights(row[6], row[7], groups) if groups else {},
                distance_km=None if row[5] is None else round(float(row[5]), 3),
            )
            for row in page
        ]
        cards = {card["id"]: card for card in (card_from_row(row[8:]) for row in page) if card is not None}
        return hits, cards, facets, matched

    @staticmethod
    def _where(clauses: list[Clause], skip_facet: str | None = None) -> tuple[str, list]:
        used = [c for c in clauses if skip_facet is None or c.facet != skip_facet]
        if not used:
            return "1 = 1", []
        return " AND ".join(f"({c.sql})" for c in used), [p for c in used for p in c.params]

    def _category_subtree(self, category_id: int) -> list[int]:
        """The category and every category below it (from the per-process category cache)."""
        from listings.models import Category
        from listings.selectors import descendant_ids
        from search.selectors import category_subtree

        if self.using == DEFAULT_DB_ALIAS:
            return category_subtree(category_id)
        return descendant_ids(category_id, {c.pk: c for c in Category.objects.using(self.using).only("parent_id")})

    def _filters(self, query: SearchQuery, dialect: _Dialect) -> list[Clause]:
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
        if query.near and query.radius_km is not None:
            lat, lon = query.near
            dlat = query.radius_km / KM_PER_DEGREE
            dlon = query.radius_km / (KM_PER_DEGREE * max(cos(radians(lat)), 0.01))
            clauses.append(Clause(
                "d.latitude BETWEEN %s AND %s AND d.longitude BETWEEN %s AND %s",
                [lat - dlat, lat + dlat, lon - dlon, lon + dlon],
            ))
            # The exact distance on the few rows the box lets through.
            clauses.append(Clause(f"{dialect.distance_sql()} <= %s", [lat, lat, lon, query.radius_km],
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

    def _facet_plan(self, clauses, flag_all: bool = False) -> dict:
        """How the facets are counted; see `_facets_statement` and `_search_one_pass`."""
        value_sql = {"category": "d.category_path", "kind": "d.kind", "grade": "d.grade_code", "city": "d.city",
                     "price": price_bucket_sql("d.price_fen")}
        filtered = [facet for facet in FACETS if any(c.facet == facet for c in clauses)]
        flagged = filtered if flag_all or len(filtered) == 1 else []

        def holding(skip=None):
            flags = [f"f_{facet} = 1" for facet in flagged if facet != skip]
            return " AND ".join(flags) if flags else "1 = 1"

        return {
            "value_sql": value_sql, "filtered": filtered, "flagged": flagged, "holding": holding,
            "served": [facet for facet in FACETS if facet not in filtered or facet in flagged],
            "separate": [facet for facet in filtered if facet not in flagged],
            "conditions": {facet: self._where([c for c in clauses if c.facet == facet]) for facet in filtered},
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
        columns = ("category_id", "category_path", "kind", "grade_code", "city", "certified", "inspected")
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
            where = f"({' OR '.join(in_step)}) AND {' AND '.join(in_range)}"
            where_params = in_step_params + [bound for bound in (low, high) if bound is not None]
            document_columns = ", ".join("COALESCE(d.category_path, '')" if name == "category_path" else f"d.{name}"
                                         for name in columns)
            for price, n, price_params in (("d.price_fen", "1", []),
                                           (f"CASE {' '.join(outside_cases)} END", "-1", outside_params)):
                source += (f" UNION ALL SELECT {document_columns}, {price}, {n} FROM {DOCUMENT_TABLE} d "
                           f"WHERE {where}")
                params += price_params + where_params
        return f"({source}) d", params

    def _facets_statement(self, source, clauses, cells: bool = False) -> tuple[str, list]:
        """The statement counting all five facets and the total, as (facet, value, count) rows; a
        facet ignores its own filter. `source` is the FROM clause (SQL and parameters).

        `cells`: the source is `_cell_source`, whose rows each count `n` documents.

        The matching rows are read once and grouped by (category path, kind, grade, city, price
        bucket): a few thousand groups at most, from which each facet and the total are summed.
        The category facet comes from the stored category path (the category and its ancestors),
        so no join is needed. A facet whose own filter is set counts a wider set of rows:

        - with one such facet, the one pass reads that wider set and also groups by whether the
          facet's filter holds (the other facets and the total sum only the groups where it does);
        - with two or more, each of them counts its own set in a plain GROUP BY, and the pass
          over the matching rows serves the rest (flagging them all in one pass instead cost
          twice as much over the cells: every row then feeds all six groupings).
        """
        tables, source_params = source
        plan = self._facet_plan(clauses)
        flagged, value_sql, holding = plan["flagged"], plan["value_sql"], plan["holding"]
        count = "SUM(d.n)" if cells else "COUNT(*)"
        select = [value_sql[facet] for facet in FACETS]
        columns = list(FACETS)
        params: list = []
        for facet in flagged:
            sql, flag_params = plan["conditions"][facet]
            select.append(f"CASE WHEN {sql} THEN 1 ELSE 0 END")
            columns.append(f"f_{facet}")
            params.extend(flag_params)
        where, where_params = self._where([c for c in clauses if not c.facet or c.facet not in flagged])
        params.extend(source_params + where_params)
        named = ", ".join(f"{sql} AS {name}" for sql, name in zip(select, columns, strict=True))
        if self.connection.vendor == "postgresql":
            rows_sql = f"SELECT {named}{', d.n AS n' if cells else ''} FROM {tables} WHERE {where}"
            parts = [_grouping_sets(f"({rows_sql}) s", {facet: facet for facet in plan["served"]}, holding,
                                    "SUM(n)" if cells else "COUNT(*)")]
            prefix = ""
        else:
            grouped = (
                f"SELECT {named}, {count} AS n FROM {tables} WHERE {where} GROUP BY "
                + ", ".join(str(i) for i in range(1, len(columns) + 1))
            )
            parts = [f"SELECT 'total' AS facet, NULL AS value, SUM(n) AS n FROM g WHERE {holding()}"]
            parts.extend(
                f"SELECT '{facet}' AS facet, CAST({facet} AS TEXT) AS value, SUM(n) AS n FROM g "
                f"WHERE {holding(facet)} GROUP BY {facet}"
                for facet in plan["served"]
            )
            prefix = f"WITH g AS MATERIALIZED ({grouped}) "
        for facet in plan["separate"]:
            own_where, own_params = self._where(clauses, skip_facet=facet)
            value = value_sql[facet]
            parts.append(f"SELECT '{facet}' AS facet, CAST({value} AS TEXT) AS value, {count} AS n "
                         f"FROM {tables} WHERE {own_where} GROUP BY {value}")
            params.extend(source_params + own_params)
        return prefix + " UNION ALL ".join(parts), params

    @staticmethod
    def _facet_results(rows) -> tuple[dict[str, list[dict]], int]:
        """(facet, value, count) rows (the category's value is a category path) -> (facets, total)."""
        counts: dict[str, dict] = {"category": {}, "kind": {}, "grade": {}, "city": {}, "price": {}}
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

    def suggest(self, prefix: str, limit: int = 10) -> list[str]:
        from listings.models import Category

        normalized = normalize(prefix).strip()
        if not normalized or limit <= 0:
            return []
        out: list[str] = []
        seen: set[str] = set()

        def add(text):
            key = normalize(text)
            if key not in seen and len(out) < limit:
                seen.add(key)
                out.append(text)

        with _unavailable_on_database_error():
            # Categories holding an indexed listing, themselves or below: the cells' category paths.
            paths = ListingSearchFacetCell.objects.using(self.using).values_list("category_path", flat=True).distinct()
            indexed = {int(category_id) for path in paths for category_id in path.split()}
            for category in Category.objects.using(self.using).filter(pk__in=indexed).order_by("position", "id"):
                for name in (category.name_zh, category.name_en):
                    if name and normalize(name).startswith(normalized):
                        add(name)
            like = normalized.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT title FROM {DOCUMENT_TABLE} WHERE title_normalized LIKE %s ESCAPE '\\' "
                    "ORDER BY published_at DESC, listing_id DESC LIMIT %s",
                    [like, limit],
                )
                for (title,) in cursor.fetchall():
                    add(title)
            term = clean(stem(normalized)) if " " not in normalized else ""
            if len(out) < limit and term:
                sql, params = self.dialect().prefix_titles_sql(term, limit * 2)
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    for (title,) in cursor.fetchall():
                        add(title)
        return out
