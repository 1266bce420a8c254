"""FTS5 table and triggers on SQLite; tsvector column, GIN and trigram indexes on PostgreSQL."""
from django.db import migrations

from search.schema import create_structures, drop_structures


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(create_structures, drop_structures, elidable=False)]
