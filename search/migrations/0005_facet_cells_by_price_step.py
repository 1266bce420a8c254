"""Facet cells by price step (search.backends.base.PRICE_STEPS) instead of facet bucket: a price
range that falls on step bounds is counted from the cells too. The cells are recounted."""
from django.db import migrations, models

# A frozen copy of the recount as it was made (search.backends.database.schema.fill_facet_cells
# is the live one; a test checks the two still agree), so this migration means the same thing forever.
PRICE_STEPS = (0, *(mantissa * 10 ** exponent for exponent in range(2, 9) for mantissa in (1, 2, 5)))
FACET_CELL_KEY = ("category_id", "category_path", "kind", "grade_code", "city", "price_step", "certified", "inspected")


def price_step_sql(column: str = "price_fen") -> str:
    whens = " ".join(f"WHEN {column} < {high} THEN {low}" for low, high in zip(PRICE_STEPS, PRICE_STEPS[1:], strict=False))
    return f"CASE {whens} ELSE {PRICE_STEPS[-1]} END"


def facet_cell_key_sql() -> str:
    return (f"category_id, COALESCE(category_path, ''), kind, grade_code, city, {price_step_sql()}, "
            "certified, inspected")


def fill_facet_cells(connection) -> None:
    key = ", ".join(FACET_CELL_KEY)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_listingsearchfacetcell")
        cursor.execute(
            f"INSERT INTO search_listingsearchfacetcell ({key}, documents) "
            f"SELECT {facet_cell_key_sql()}, COUNT(*) FROM search_listingsearchdocument GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        )


def recount_cells(apps, schema_editor):
    fill_facet_cells(schema_editor.connection)


def forget_cells(apps, schema_editor):
    """Empty cells; also the way back to buckets (the old column has no default): `search_rebuild`
    recounts them."""
    schema_editor.execute("DELETE FROM search_listingsearchfacetcell")


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0004_facet_cells_covering_indexes'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='listingsearchfacetcell',
            name='search_facet_cell_unique',
        ),
        # Emptied first: the cells of a bucket would share a step of 0 under the new key.
        migrations.RunPython(forget_cells, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='listingsearchfacetcell',
            name='price_bucket',
        ),
        migrations.AddField(
            model_name='listingsearchfacetcell',
            name='price_step',
            field=models.BigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name='listingsearchfacetcell',
            constraint=models.UniqueConstraint(fields=('category_id', 'category_path', 'kind', 'grade_code', 'city', 'price_step', 'certified', 'inspected'), name='search_facet_cell_unique'),
        ),
        migrations.RunPython(recount_cells, forget_cells),
    ]
