"""The condition level (grading.conditions) and the accessory flag in the documents, the condition
level in the facet cells (a facet and a filter), and on SQLite an fts5vocab table over the FTS
index: the terms a typo is corrected to.

SQLite rebuilds the document table to add a column with a default, which drops the FTS5 triggers:
they are made again here (with the vocabulary table), from a frozen copy of the structures
(search/backends/database/schema.py keeps the live ones; a test checks the two still agree), as
is the facet cell recount. Existing documents get no condition and no accessory flag until the
next `manage.py search_rebuild`, which the new analysis of listing text needs anyway.
"""
from django.db import migrations, models

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


# A frozen copy of the recount as it was made (search.backends.database.schema.fill_facet_cells).
PRICE_STEPS = (0, *(mantissa * 10 ** exponent for exponent in range(2, 9) for mantissa in (1, 2, 5)))
FACET_CELL_KEY = ("category_id", "category_path", "kind", "grade_code", "condition", "city", "price_step", "certified",
                  "inspected")


def price_step_sql(column: str = "price_fen") -> str:
    whens = " ".join(f"WHEN {column} < {high} THEN {low}" for low, high in zip(PRICE_STEPS, PRICE_STEPS[1:], strict=False))
    return f"CASE {whens} ELSE {PRICE_STEPS[-1]} END"


def facet_cell_key_sql() -> str:
    return (f"category_id, COALESCE(category_path, ''), kind, grade_code, condition, city, {price_step_sql()}, "
            "certified, inspected")


def fill_facet_cells(connection) -> None:
    key = ", ".join(FACET_CELL_KEY)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_listingsearchfacetcell")
        cursor.execute(
            f"INSERT INTO search_listingsearchfacetcell ({key}, documents) "
            f"SELECT {facet_cell_key_sql()}, COUNT(*) FROM search_listingsearchdocument GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
        )


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_FTS:
            schema_editor.execute(statement)
    fill_facet_cells(connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_VOCABULARY_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("listings", "0004_suspension_sources_grading_compliance"),
        ("search", "0007_pending_update_sequence_and_claim"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="listingsearchfacetcell", name="search_facet_cell_unique"),
        migrations.AddField(
            model_name="listingsearchdocument", name="accessory", field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="listingsearchdocument", name="condition",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="listingsearchfacetcell", name="condition",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddConstraint(
            model_name="listingsearchfacetcell",
            constraint=models.UniqueConstraint(
                fields=("category_id", "category_path", "kind", "grade_code", "condition", "city", "price_step",
                        "certified", "inspected"),
                name="search_facet_cell_unique",
            ),
        ),
        # The covering indexes carry the condition too (a search without words reads it for its facets).
        migrations.RemoveIndex(
            model_name="listingsearchdocument",
            name="search_doc_city_kind_price",
        ),
        migrations.RemoveIndex(
            model_name="listingsearchdocument",
            name="search_doc_newest",
        ),
        migrations.RemoveIndex(
            model_name="listingsearchdocument",
            name="search_doc_price",
        ),
        migrations.RemoveIndex(
            model_name="listingsearchdocument",
            name="search_doc_lat_lon",
        ),
        migrations.RemoveIndex(
            model_name="listingsearchdocument",
            name="search_doc_category",
        ),
        migrations.AddIndex(
            model_name="listingsearchdocument",
            index=models.Index(fields=["city", "kind", "price_fen"], include=("listing", "published_at", "category_id", "category_path", "grade_code", "condition", "certified", "inspected", "latitude", "longitude"), name="search_doc_city_kind_price"),
        ),
        migrations.AddIndex(
            model_name="listingsearchdocument",
            index=models.Index(fields=["-published_at", "-listing"], include=("price_fen", "category_id", "category_path", "kind", "grade_code", "condition", "city", "certified", "inspected", "latitude", "longitude"), name="search_doc_newest"),
        ),
        migrations.AddIndex(
            model_name="listingsearchdocument",
            index=models.Index(fields=["price_fen"], include=("listing", "published_at", "category_id", "category_path", "kind", "grade_code", "condition", "city", "certified", "inspected", "latitude", "longitude"), name="search_doc_price"),
        ),
        migrations.AddIndex(
            model_name="listingsearchdocument",
            index=models.Index(fields=["latitude", "longitude"], include=("listing", "published_at", "price_fen", "category_id", "category_path", "kind", "grade_code", "condition", "city", "certified", "inspected"), name="search_doc_lat_lon"),
        ),
        migrations.AddIndex(
            model_name="listingsearchdocument",
            index=models.Index(fields=["category_id", "grade_code", "price_fen"], include=("listing", "published_at", "category_path", "kind", "condition", "city", "certified", "inspected", "latitude", "longitude"), name="search_doc_category"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
