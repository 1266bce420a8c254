"""The category path in the document row (the category facet needs no join) and, on PostgreSQL, a
covering index for facet counts and filters (index-only scans over narrow rows)."""
from django.db import migrations, models

DOCUMENT_TABLE = "search_listingsearchdocument"
CATEGORY_TABLE = "search_listingsearchcategory"

POSTGRES_FACET_INDEX = (
    f"CREATE INDEX IF NOT EXISTS search_doc_facets ON {DOCUMENT_TABLE} (city, kind, price_fen) "
    "INCLUDE (grade_code, category_path, certified, inspected, latitude, longitude, listing_id)"
)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"UPDATE {DOCUMENT_TABLE} d SET category_path = x.path FROM ("
            f"SELECT document_id, string_agg(category_id::text, ' ' ORDER BY id) AS path "
            f"FROM {CATEGORY_TABLE} GROUP BY document_id) x WHERE x.document_id = d.listing_id"
        )
        schema_editor.execute(POSTGRES_FACET_INDEX)
    elif vendor == "sqlite":
        schema_editor.execute(
            f"UPDATE {DOCUMENT_TABLE} SET category_path = (SELECT group_concat(c.category_id, ' ') "
            f"FROM {CATEGORY_TABLE} c WHERE c.document_id = {DOCUMENT_TABLE}.listing_id)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_doc_facets")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_engine_structures")]

    operations = [
        # Nullable without a default: SQLite adds the column in place (no table rebuild, so the
        # FTS5 triggers stay).
        migrations.AddField(
            model_name="listingsearchdocument", name="category_path",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
