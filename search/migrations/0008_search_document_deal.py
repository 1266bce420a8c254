"""The listing's deal (sale, giveaway, swap) in the document row, so that search filters by it."""
from django.db import migrations, models

DOCUMENT_TABLE = "search_listingsearchdocument"


def forwards(apps, schema_editor):
    # Every listing indexed so far was for sale: listings had no other deal.
    schema_editor.execute(f"UPDATE {DOCUMENT_TABLE} SET deal = 'sale' WHERE deal IS NULL")


class Migration(migrations.Migration):
    dependencies = [("search", "0007_pending_update_sequence_and_claim")]

    operations = [
        # Nullable without a default: SQLite adds the column in place (no table rebuild, so the
        # FTS5 triggers stay).
        migrations.AddField(
            model_name="listingsearchdocument", name="deal",
            field=models.CharField(blank=True, max_length=12, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
