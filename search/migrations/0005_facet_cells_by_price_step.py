"""Facet cells by price step (search.backends.base.PRICE_STEPS) instead of facet bucket: a price
range that falls on step bounds is counted from the cells too. The cells are recounted."""
from django.db import migrations, models

from search.schema import fill_facet_cells


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
