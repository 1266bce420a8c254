"""The database backend on SQLite: FTS5 for words, plain SQL for the rest.

Text matching uses the FTS5 table (external content over the document table, kept in step by
triggers: schema.SQLITE_FTS), ranked by bm25 with column weights (title and identifiers far above
what the listing is (its category and kind), far above the body), accessories below devices. A
query that finds nothing is tried again with its English words of five letters or more corrected
by one edit (deleted, inserted, replaced or swapped letter) to the index term of the most listings
(the terms of the fts5vocab table over the FTS index: macbok -> macbook), then relaxed
(search.analysis.relaxations). A page is one statement and the facets another (a materialized CTE
of the matching rows grouped once, summed per facet).
"""
from search.analysis import known_correction, typo_candidates
from search.backends.base import SearchHit, SearchResults
from search.backends.database.backend import (
    ACCESSORY_FACTOR,
    MATCHED_WORD_SCORE,
    Clause,
    DatabaseSearchBackend,
    TextMatch,
    page_total,
    where,
)
from search.backends.database.schema import (
    DOCUMENT_TABLE,
    FTS_TABLE,
    FTS_VOCABULARY_TABLE,
    resume_sqlite_fts,
    suspend_sqlite_fts,
)
from search.highlight import highlights
from search.text import one_edit_variants, stem


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _any_of(group) -> str:
    return "(" + " OR ".join(_quoted(t) for t in group) + ")"


class SQLiteSearchBackend(DatabaseSearchBackend):
    least = "MIN"
    # bm25 weights of the FTS columns: title_tokens, body_tokens, identifiers, category_tokens.
    WEIGHTS = (10.0, 1.0, 10.0, 6.0)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({"typos"})

    @staticmethod
    def _match_expression(groups) -> str:
        return " AND ".join(_any_of(group) for group in groups)

    def text(self, match: TextMatch):
        tables = f"{DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id"
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        rank = (f"-bm25({FTS_TABLE}, {weights}) * CASE WHEN d.accessory THEN {ACCESSORY_FACTOR} ELSE 1.0 END")
        if not match.relaxed:
            return tables, Clause(f"{FTS_TABLE} MATCH %s", [self._match_expression(match.groups)]), (rank, [])
        # Relaxed: any group (so bm25 weighs every word), one of the required ones, enough of them.
        expression = ("(" + " OR ".join(_any_of(group) for group in match.groups) + ") AND ("
                      + " OR ".join(_any_of(match.groups[index]) for index in match.required) + ")")
        each = f"(d.listing_id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s))"
        matched = " + ".join([each] * len(match.groups))
        expressions = [_any_of(group) for group in match.groups]
        clause = Clause(f"{FTS_TABLE} MATCH %s AND ({matched}) >= %s", [expression, *expressions, match.minimum])
        return tables, clause, (f"({matched}) * {MATCHED_WORD_SCORE} + {rank}", expressions)

    def _group_matches(self, group) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT 1", [_any_of(group)])
            return cursor.fetchone() is not None

    def _forgiving_typos(self, query, match, found):
        """Each English word of five letters or more whose group no listing holds gets the words one
        edit away: the vocabulary's (samsnug -> samsung, 三星) and the index term the most listings
        hold (macbok -> macbook)."""
        groups = list(match.groups)
        changed = False
        for index, word in typo_candidates(query.q, groups):
            if found[index]:
                continue
            held = self._most_held(sorted({stem(variant) for variant in one_edit_variants(word)} - set(groups[index])))
            added = {*known_correction(word), *([held] if held else [])}
            if added - set(groups[index]):
                groups[index] = tuple(sorted({*groups[index], *added}))
                changed = True
        return TextMatch(tuple(groups)) if changed else None

    def _most_held(self, terms: list[str]) -> str | None:
        """Of these terms, the one the most indexed listings hold (None: none is indexed)."""
        if not terms:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term FROM {FTS_VOCABULARY_TABLE} WHERE term IN ({', '.join(['%s'] * len(terms))}) "
                "ORDER BY doc DESC, term LIMIT 1", terms,
            )
            row = cursor.fetchone()
        return row[0] if row else None

    def prefix_titles_sql(self, term, limit):
        sql = (
            f"SELECT d.title FROM {DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id "
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY d.published_at DESC, d.listing_id DESC LIMIT %s"
        )
        return sql, ['title_tokens : "' + term.replace('"', '""') + '" *', limit]

    # ------------------------------------------------------------------- reads --

    def _search(self, query, match) -> SearchResults:
        tables, clauses, (score_sql, score_params), (distance_sql, distance_params) = (
            self._statement_parts(query, match)
        )
        groups = match.groups if match is not None else ()
        where_sql, where_params = where(clauses)
        order = self._order(query, bool(groups))
        # Without words there is nothing to highlight: the page needs ids only (an index can answer).
        text_columns = "d.title, d.description" if groups else "NULL, NULL"
        sql = (
            f"SELECT d.listing_id, {score_sql} AS score, {distance_sql} AS distance, {text_columns} "
            f"FROM {tables} WHERE {where_sql} ORDER BY {order} LIMIT %s OFFSET %s"
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
        # Without words, radius, deal or set of listings every filter is a facet cell column (the
        # price, nearly): count cells.
        by_cells = not groups and not query.filters_beyond_cells
        source = self._cell_source(query) if by_cells else (tables, [])
        facets, matched = self._facets(source, clauses, cells=by_cells)
        total, exact = page_total(query, len(rows), matched)
        return SearchResults(hits=hits, total=total, total_is_exact=exact, facets=facets)

    def _served_facets(self, named, tables, where_sql, columns, plan, cells):
        """The matching rows grouped once in a materialized CTE, then each facet summed from it."""
        count = "SUM(d.n)" if cells else "COUNT(*)"
        holding = plan["holding"]
        grouped = (
            f"SELECT {named}, {count} AS n FROM {tables} WHERE {where_sql} GROUP BY "
            + ", ".join(str(i) for i in range(1, len(columns) + 1))
        )
        parts = [f"SELECT 'total' AS facet, NULL AS value, SUM(n) AS n FROM g WHERE {holding()}"]
        parts.extend(
            f"SELECT '{facet}' AS facet, CAST({facet} AS TEXT) AS value, SUM(n) AS n FROM g "
            f"WHERE {holding(facet)} GROUP BY {facet}"
            for facet in plan["served"]
        )
        return f"WITH g AS MATERIALIZED ({grouped}) ", parts

    # ------------------------------------------------------------------ writes --

    def _write(self, table, columns, rows):
        if not rows:
            return
        names = ", ".join(columns)
        marks = ", ".join(["%s"] * len(columns))
        with self.connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def _suspend_text_index(self):
        suspend_sqlite_fts(self.connection)

    def _resume_text_index(self):
        resume_sqlite_fts(self.connection)
