"""The database backend on PostgreSQL: a weighted tsvector for words, trigrams for typos, and one
statement per search.

Text matching uses the stored, weighted tsvector (GIN; schema.POSTGRES_VECTOR), ranked by ts_rank
(title and identifiers weight A, what the listing is (category and kind) B, body C), accessories
below devices. A query that finds nothing is retried with trigram word similarity on the
normalized title for its Latin words (pg_trgm), so `iphnoe` finds iPhones, then relaxed
(search.analysis.relaxations). A search returns its page (with the cards the API shows), its total and
its facets in one statement, so a request waits for the database once: searches without words
read covering indexes and the facet cells, searches with words or a radius read the matching
rows once into a materialized CTE; every facet is counted in one GROUPING SETS pass. Rows are
written with COPY.
"""
from listings.models import Listing
from search.analysis import is_known, known_correction, typo_candidates
from search.backends.base import FACETS, SearchHit, SearchResults
from search.backends.database.backend import (
    ACCESSORY_FACTOR,
    MATCHED_WORD_SCORE,
    Clause,
    DatabaseSearchBackend,
    TextMatch,
    capped,
    page_total,
    unavailable_on_database_error,
    where,
)
from search.backends.database.schema import DOCUMENT_TABLE, FACET_CELL_TABLE, has_pg_trgm
from search.highlight import highlights
from search.selectors import CARD_COLUMN_COUNT, card_columns_sql, card_from_row
from search.text import latin_words, stem

LISTING_TABLE = Listing._meta.db_table
# The columns a facet row leaves empty in a statement that returns hits too (listing id, score,
# distance, title, description, then the card).
HIT_PADDING = ", NULL" * (5 + CARD_COLUMN_COUNT)
TRIGRAM_THRESHOLD = 0.4  # word_similarity: catches one swapped pair of letters in a six-letter word
# ts_rank weights of D, C (body), B (what the listing is: category and kind), A (title, identifiers):
# the title far above the description.
RANK_WEIGHTS = "0.05, 0.05, 0.6, 1.0"


def _page_order(order: str) -> str:
    """An ORDER BY over the document's columns (`d.`), over those of the page CTE (`p.`) instead."""
    return ", ".join(f"p.{term}" for term in order.replace("d.", "").split(", "))


def _grouping_sets(source: str, value_sql: dict[str, str], holding, count: str, padding: str = "") -> str:
    """The total and each facet's (value, count) rows in one pass over `source`.

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


class PostgreSQLSearchBackend(DatabaseSearchBackend):
    least = "LEAST"

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({"typos"}) if self.trigram_available() else frozenset()

    def trigram_available(self) -> bool:
        cache = self.connection.__dict__.setdefault("_search_pg_trgm", {})
        if "ok" not in cache:
            cache["ok"] = has_pg_trgm(self.connection)
        return cache["ok"]

    @staticmethod
    def _tsquery(group) -> tuple[str, list]:
        sql = " || ".join("plainto_tsquery('simple', %s)" for _ in group)
        return f"({sql})", list(group)

    def text(self, match: TextMatch):
        groups = match.groups
        conditions, params = [], []
        for index, group in enumerate(groups):
            tsquery, tsparams = self._tsquery(group)
            condition = f"d.search_vector @@ {tsquery}"
            params.extend(tsparams)
            typo_word = match.typo_word(index)
            if typo_word:
                condition = f"({condition} OR %s <%% d.title_normalized)"
                params.append(typo_word)
            conditions.append(condition)
        every = [token for group in groups for token in group]
        rank_query, rank_params = self._tsquery(every)
        # ts_rank, not ts_rank_cd: cover density costs two to four times as much per row and the
        # weights (title over category over body) are what ranks our short documents.
        score = (f"ts_rank('{{{RANK_WEIGHTS}}}', d.search_vector, {rank_query})"
                 f" * CASE WHEN d.accessory THEN {ACCESSORY_FACTOR} ELSE 1.0 END")
        typo = [word for word in match.typo_words if word]
        for _word in typo:
            score += " + 0.1 * word_similarity(%s, d.title_normalized)"
        score_params = rank_params + typo
        if not match.relaxed:
            return f"{DOCUMENT_TABLE} d", Clause(" AND ".join(conditions), params), (score, score_params)
        # Relaxed: one of the required groups (the GIN index finds them), enough groups in all, the
        # listings that match more groups first.
        required = [token for index in match.required for token in groups[index]]
        required_query, required_params = self._tsquery(required)
        matched = " + ".join(f"(CASE WHEN {condition} THEN 1 ELSE 0 END)" for condition in conditions)
        clause = Clause(f"d.search_vector @@ {required_query} AND ({matched}) >= %s",
                        [*required_params, *params, match.minimum])
        return f"{DOCUMENT_TABLE} d", clause, (f"({matched}) * {MATCHED_WORD_SCORE} + {score}", params + score_params)

    def _group_matches(self, group) -> bool:
        tsquery, params = self._tsquery(group)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {DOCUMENT_TABLE} d WHERE d.search_vector @@ {tsquery} LIMIT 1", params)
            return cursor.fetchone() is not None

    def prefix_titles_sql(self, term, limit):
        sql = (
            f"SELECT d.title FROM {DOCUMENT_TABLE} d "
            "WHERE d.search_vector @@ to_tsquery('simple', %s) "
            "ORDER BY d.published_at DESC, d.listing_id DESC LIMIT %s"
        )
        return sql, [f"'{term}':*A", limit]

    # ------------------------------------------------------------------- reads --

    def _forgiving_typos(self, query, match, found):
        """For the groups no listing holds: the words of the vocabulary one edit away join the
        groups of the query's English words of five letters or more (samsnug -> samsung, 三星), and
        the groups of its English words of four letters or more that are no vocabulary word also
        match titles with a word that looks like them (trigram word similarity: iphnoe)."""
        groups = list(match.groups)
        for index, word in typo_candidates(query.q, groups):
            if not found[index]:
                groups[index] = tuple(sorted({*groups[index], *known_correction(word)}))
        typo_words = self._typo_words(query.q, match.groups) if self.trigram_available() else []
        typo_words = [word if word and not found[index] and not is_known(word) else None
                      for index, word in enumerate(typo_words)]
        if any(typo_words):
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                               [str(TRIGRAM_THRESHOLD)])
        elif groups == list(match.groups):
            return None
        return TextMatch(tuple(groups), typo_words=tuple(typo_words))

    @staticmethod
    def _typo_words(q: str, groups) -> list[str | None]:
        """For each group, the raw Latin word it came from when typos may be forgiven (4+ letters)."""
        by_stem = {stem(word): word for word in latin_words(q)}
        return [next((by_stem[term] for term in group if term in by_stem), None) for group in groups]

    def _search(self, query, match) -> SearchResults:
        tables, clauses, score, distance = self._statement_parts(query, match)
        groups = match.groups if match is not None else ()
        if groups or query.filters_beyond_cells:
            return self._search_one_pass(query, groups, tables, clauses, score, distance)
        return self._search_without_words(query, tables, clauses, where(clauses), self._order(query, False),
                                          distance)

    def _search_without_words(self, query, tables, clauses, where_clause, order, distance) -> SearchResults:
        """Without words or radius: the page (with its cards) and the facets in one statement. The
        page reads the covering indexes, the facets the facet cells (`_cell_source`)."""
        (where_sql, where_params), (distance_sql, distance_params) = where_clause, distance
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
        total, exact = page_total(query, len(hits), matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets, cards=cards)

    def _search_one_pass(self, query, groups, tables, clauses, score, distance) -> SearchResults:
        """With words or a radius: the page, the total and the facets in one statement.

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
        where_sql, where_params = where(
            [c for c in clauses if (not c.facet or c.facet not in flagged) and c.radius_km is None]
        )
        if len(flagged) >= 2:
            # At most one facet filter fails: for some facet, all the others hold.
            alternatives = []
            for skipped in flagged:
                others = [plan["conditions"][f] for f in flagged if f != skipped]
                alternatives.append("(" + " AND ".join(f"({sql})" for sql, _ in others) + ")")
                where_params = where_params + [p for _, other_params in others for p in other_params]
            where_sql = f"({where_sql}) AND ({' OR '.join(alternatives)})"
        params.extend(where_params)
        matching = f"SELECT {', '.join(columns)} FROM {tables} WHERE {where_sql}"
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
            own_where, own_params = where(clauses, skip_facet=facet)
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
        total, exact = capped(matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets, cards=cards)

    def _page_and_facets(self, rows, groups) -> tuple[list[SearchHit], dict[int, dict], dict, int]:
        """The rows of a statement that returns its page (`hit` rows, with their cards) and its
        facets (the other rows) together: hits, cards, facets and the facets' total."""
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

    def _served_facets(self, named, tables, where_sql, columns, plan, cells):
        """The matching rows, then every facet and the total in one GROUPING SETS pass over them."""
        rows_sql = f"SELECT {named}{', d.n AS n' if cells else ''} FROM {tables} WHERE {where_sql}"
        return "", [_grouping_sets(f"({rows_sql}) s", {facet: facet for facet in plan["served"]}, plan["holding"],
                                   "SUM(n)" if cells else "COUNT(*)")]

    # ------------------------------------------------------------------ writes --

    def _write(self, table, columns, rows):
        if not rows:
            return
        names = ", ".join(columns)
        with self.connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            # COPY: several times the rate of INSERTs for a rebuild, and as good for one row.
            for row in rows:
                copy.write_row(row)

    def _after_rebuild(self, in_transaction):
        if in_transaction:
            # Fresh statistics, so the planner uses the GIN index for selective words.
            with self.connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {DOCUMENT_TABLE}, {FACET_CELL_TABLE}")
        elif not self.connection.in_atomic_block:
            # The visibility map, so that index-only scans need not visit the rows they cover
            # (VACUUM cannot run in a transaction; autovacuum does it later otherwise). The first
            # pass clears the replaced rows but leaves about half the pages unmarked (measured:
            # 335 of 664 after one pass, 664 after a second, which only reads those pages).
            with unavailable_on_database_error(), self.connection.cursor() as cursor:
                cursor.execute(f"VACUUM {DOCUMENT_TABLE}")
                cursor.execute(f"VACUUM {DOCUMENT_TABLE}")
