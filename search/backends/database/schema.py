"""The database backend's tables and engine structures, and the SQL of its facet cells.

SQLite: an FTS5 table over the document table (external content) kept in step by triggers, and an
fts5vocab table over it (its terms, for typo corrections).
Django rebuilds a SQLite table to alter it, which drops its triggers: a migration that alters
ListingSearchDocument must create them again (with a frozen copy of SQLITE_FTS, as 0002 does).

PostgreSQL: a stored tsvector column (title and identifiers weight A, own category B, body C) with a GIN
index, and a trigram GIN index on the normalized title when pg_trgm is installed
(scripts/services creates it in template1; pg_trgm is a trusted extension, so the owner of the
database may create it too).

Migrations carry frozen copies of what they run (0002 the structures, 0005 the facet cell
recount): tests/search/test_database_backend.py checks that the copies still match this module,
so a change here comes with a migration.
"""
from django.db import connection as default_connection

DOCUMENT_TABLE = "search_listingsearchdocument"
FTS_TABLE = "search_listing_fts"

FTS_VOCABULARY_TABLE = "search_listing_fts_vocab"

SQLITE_FTS = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title_tokens, body_tokens, identifiers, category_tokens,
        content='{DOCUMENT_TABLE}', content_rowid='listing_id',
        tokenize='unicode61 remove_diacritics 0')""",
    # The index's terms and how many documents hold each: the words a typo is corrected to.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_VOCABULARY_TABLE} USING fts5vocab({FTS_TABLE}, 'row')",
    f"""CREATE TRIGGER IF NOT EXISTS search_doc_fts_insert AFTER INSERT ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title_tokens, body_tokens, identifiers, category_tokens)
        VALUES (new.listing_id, new.title_tokens, new.body_tokens, new.identifiers, new.category_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_doc_fts_delete AFTER DELETE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_tokens, body_tokens, identifiers, category_tokens)
        VALUES ('delete', old.listing_id, old.title_tokens, old.body_tokens, old.identifiers, old.category_tokens);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS search_doc_fts_update AFTER UPDATE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_tokens, body_tokens, identifiers, category_tokens)
        VALUES ('delete', old.listing_id, old.title_tokens, old.body_tokens, old.identifiers, old.category_tokens);
        INSERT INTO {FTS_TABLE}(rowid, title_tokens, body_tokens, identifiers, category_tokens)
        VALUES (new.listing_id, new.title_tokens, new.body_tokens, new.identifiers, new.category_tokens);
    END""",
    # Index whatever rows the table already holds (a no-op on a fresh table).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]

SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS search_doc_fts_insert",
    "DROP TRIGGER IF EXISTS search_doc_fts_delete",
    "DROP TRIGGER IF EXISTS search_doc_fts_update",
]

SQLITE_DROP = [*SQLITE_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {FTS_VOCABULARY_TABLE}", f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def suspend_sqlite_fts(connection) -> None:
    """SQLite, inside the transaction of a whole rebuild: the FTS triggers off, so that emptying
    and refilling the document table does not update the FTS index row by row (deleting 90,000
    documents through the delete trigger alone took 14 s); `resume_sqlite_fts` indexes them all
    in one pass. Transactional: a rebuild that fails leaves the triggers as they were."""
    with connection.cursor() as cursor:
        for sql in SQLITE_DROP_TRIGGERS:
            cursor.execute(sql)


def resume_sqlite_fts(connection) -> None:
    """The FTS triggers back and the FTS index rebuilt from the document table ('rebuild')."""
    with connection.cursor() as cursor:
        for sql in SQLITE_FTS:
            cursor.execute(sql)


POSTGRES_VECTOR = [
    f"""ALTER TABLE {DOCUMENT_TABLE} ADD COLUMN IF NOT EXISTS search_vector tsvector
        GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, title_tokens), 'A')
            || setweight(to_tsvector('simple'::regconfig, identifiers), 'A')
            || setweight(to_tsvector('simple'::regconfig, category_tokens), 'B')
            || setweight(to_tsvector('simple'::regconfig, body_tokens), 'C')
        ) STORED""",
    f"CREATE INDEX IF NOT EXISTS search_doc_vector ON {DOCUMENT_TABLE} USING gin (search_vector)",
    # Prefix completion (suggest) on the normalized title.
    f"CREATE INDEX IF NOT EXISTS search_doc_title_prefix ON {DOCUMENT_TABLE} (title_normalized text_pattern_ops)",
]

POSTGRES_TRIGRAM = [
    f"CREATE INDEX IF NOT EXISTS search_doc_title_trgm ON {DOCUMENT_TABLE} USING gin (title_normalized gin_trgm_ops)",
]

POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_doc_title_trgm",
    "DROP INDEX IF EXISTS search_doc_title_prefix",
    "DROP INDEX IF EXISTS search_doc_vector",
    f"ALTER TABLE {DOCUMENT_TABLE} DROP COLUMN IF EXISTS search_vector",
]


def has_pg_trgm(connection=default_connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


FACET_CELL_TABLE = "search_listingsearchfacetcell"
FACET_CELL_KEY = ("category_id", "category_path", "kind", "grade_code", "condition", "city", "price_step", "certified",
                  "inspected")


def price_bucket_sql(column: str = "price_fen") -> str:
    """The price facet's bucket label of a price in fen, in SQL (search.backends.base.PRICE_BUCKETS)."""
    from search.backends.base import PRICE_BUCKETS

    whens = " ".join(f"WHEN {column} < {high} THEN '{label}'" for label, _low, high in PRICE_BUCKETS if high is not None)
    return f"CASE {whens} ELSE '{PRICE_BUCKETS[-1][0]}' END"


def price_step_sql(column: str = "price_fen") -> str:
    """The lower bound of the price step holding a price in fen, in SQL (search.backends.base.PRICE_STEPS)."""
    from search.backends.base import PRICE_STEPS

    whens = " ".join(f"WHEN {column} < {high} THEN {low}" for low, high in zip(PRICE_STEPS, PRICE_STEPS[1:], strict=False))
    return f"CASE {whens} ELSE {PRICE_STEPS[-1]} END"


def facet_cell_key_sql() -> str:
    """A document row's facet cell key (FACET_CELL_KEY, in that order) as SQL over its columns."""
    return (f"category_id, COALESCE(category_path, ''), kind, grade_code, condition, city, {price_step_sql()}, "
            "certified, inspected")


def fill_facet_cells(connection) -> None:
    """Recount every facet cell from the document table (after a rebuild or a migration)."""
    key = ", ".join(FACET_CELL_KEY)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FACET_CELL_TABLE}")
        cursor.execute(
            f"INSERT INTO {FACET_CELL_TABLE} ({key}, documents) "
            f"SELECT {facet_cell_key_sql()}, COUNT(*) FROM {DOCUMENT_TABLE} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
        )
