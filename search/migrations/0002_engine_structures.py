"""FTS5 table and triggers on SQLite; tsvector column, GIN and trigram indexes on PostgreSQL.

A frozen copy of the structures as they were made (search/backends/database/schema.py keeps the
live ones; a test checks the two still agree), so this migration means the same thing forever.
"""
from django.db import migrations

DOCUMENT_TABLE = "search_listingsearchdocument"
FTS_TABLE = "search_listing_fts"

SQLITE_FTS = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title_tokens, body_tokens, identifiers, category_tokens,
        content='{DOCUMENT_TABLE}', content_rowid='listing_id',
        tokenize='unicode61 remove_diacritics 0')""",
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

SQLITE_DROP = [*SQLITE_DROP_TRIGGERS, f"DROP TABLE IF EXISTS {FTS_TABLE}"]

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


def has_pg_trgm(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _ensure_pg_trgm(schema_editor) -> bool:
    """pg_trgm installed (or installable by this role: it is a trusted extension)?"""
    if has_pg_trgm(schema_editor.connection):
        return True
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SAVEPOINT search_trgm")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # no privilege: search works without typo tolerance
            cursor.execute("ROLLBACK TO SAVEPOINT search_trgm")
            return False
        cursor.execute("RELEASE SAVEPOINT search_trgm")
    return True


def create_structures(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in SQLITE_FTS:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in POSTGRES_VECTOR:
            schema_editor.execute(sql)
        if _ensure_pg_trgm(schema_editor):
            for sql in POSTGRES_TRIGRAM:
                schema_editor.execute(sql)


def drop_structures(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create_structures, drop_structures, elidable=False)]
