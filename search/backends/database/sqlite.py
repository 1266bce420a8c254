"""The database backend on SQLite: FTS5 for words, plain SQL for the rest.

Text matching uses the FTS5 table (external content over the document table, kept in step by
triggers: schema.SQLITE_FTS), ranked by bm25 with column weights (title and identifiers above
the listing's own category name, above the body). No typo tolerance beyond the pinyin and synonym
layer of search.text. A page is one statement and the facets another (a materialized CTE of the
matching rows grouped once, summed per facet).
"""
from search.backends.base import SearchHit, SearchResults
from search.backends.database.backend import Clause, DatabaseSearchBackend, page_total, where
from search.backends.database.schema import DOCUMENT_TABLE, FTS_TABLE, resume_sqlite_fts, suspend_sqlite_fts
from search.highlight import highlights


class SQLiteSearchBackend(DatabaseSearchBackend):
    least = "MIN"
    # bm25 weights of the FTS columns: title_tokens, body_tokens, identifiers, category_tokens.
    WEIGHTS = (10.0, 2.0, 10.0, 6.0)

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset()

    @staticmethod
    def _match_expression(groups) -> str:
        def quoted(token):
            return '"' + token.replace('"', '""') + '"'

        return " AND ".join("(" + " OR ".join(quoted(t) for t in group) + ")" for group in groups)

    def text(self, groups, typo_words):
        tables = f"{DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id"
        match = Clause(f"{FTS_TABLE} MATCH %s", [self._match_expression(groups)])
        weights = ", ".join(str(w) for w in self.WEIGHTS)
        return tables, match, (f"-bm25({FTS_TABLE}, {weights})", [])

    def prefix_titles_sql(self, term, limit):
        sql = (
            f"SELECT d.title FROM {DOCUMENT_TABLE} d JOIN {FTS_TABLE} ON {FTS_TABLE}.rowid = d.listing_id "
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY d.published_at DESC, d.listing_id DESC LIMIT %s"
        )
        return sql, ['title_tokens : "' + term.replace('"', '""') + '" *', limit]

    # ------------------------------------------------------------------- reads --

    def _search(self, query, groups, typo_words) -> SearchResults:
        tables, clauses, (score_sql, score_params), (distance_sql, distance_params) = (
            self._statement_parts(query, groups, typo_words)
        )
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
