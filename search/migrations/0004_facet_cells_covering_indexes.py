"""Facet cells (documents per combination of facet values), and covering indexes: a search
without words is answered from an index alone on PostgreSQL (the narrower index of 0003 goes)."""
from django.db import migrations, models


def count_existing_documents(apps, schema_editor):
    """Nothing since 0005: that migration recounts the cells by price step, and the counting code
    (search.backends.database.schema.fill_facet_cells) follows the current columns, not this migration's."""


def drop_narrow_facet_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_doc_facets")


class Migration(migrations.Migration):

    dependencies = [
        ('listings', '0004_suspension_sources_grading_compliance'),
        ('search', '0003_facet_columns'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListingSearchFacetCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category_id', models.BigIntegerField()),
                ('category_path', models.TextField(blank=True)),
                ('kind', models.CharField(max_length=20)),
                ('grade_code', models.CharField(blank=True, max_length=16)),
                ('city', models.CharField(blank=True, max_length=40)),
                ('price_bucket', models.CharField(max_length=16)),
                ('certified', models.BooleanField()),
                ('inspected', models.BooleanField()),
                ('documents', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': 'listing search facet cell',
                'verbose_name_plural': 'listing search facet cells',
            },
        ),
        migrations.RemoveIndex(
            model_name='listingsearchdocument',
            name='search_doc_city_kind_price',
        ),
        migrations.RemoveIndex(
            model_name='listingsearchdocument',
            name='search_doc_newest',
        ),
        migrations.RemoveIndex(
            model_name='listingsearchdocument',
            name='search_doc_price',
        ),
        migrations.RemoveIndex(
            model_name='listingsearchdocument',
            name='search_doc_lat_lon',
        ),
        migrations.AddIndex(
            model_name='listingsearchdocument',
            index=models.Index(fields=['city', 'kind', 'price_fen'], include=('listing', 'published_at', 'category_id', 'category_path', 'grade_code', 'certified', 'inspected', 'latitude', 'longitude'), name='search_doc_city_kind_price'),
        ),
        migrations.AddIndex(
            model_name='listingsearchdocument',
            index=models.Index(fields=['-published_at', '-listing'], include=('price_fen', 'category_id', 'category_path', 'kind', 'grade_code', 'city', 'certified', 'inspected', 'latitude', 'longitude'), name='search_doc_newest'),
        ),
        migrations.AddIndex(
            model_name='listingsearchdocument',
            index=models.Index(fields=['price_fen'], include=('listing', 'published_at', 'category_id', 'category_path', 'kind', 'grade_code', 'city', 'certified', 'inspected', 'latitude', 'longitude'), name='search_doc_price'),
        ),
        migrations.AddIndex(
            model_name='listingsearchdocument',
            index=models.Index(fields=['latitude', 'longitude'], include=('listing', 'published_at', 'price_fen', 'category_id', 'category_path', 'kind', 'grade_code', 'city', 'certified', 'inspected'), name='search_doc_lat_lon'),
        ),
        migrations.AddIndex(
            model_name='listingsearchdocument',
            index=models.Index(fields=['category_id', 'grade_code', 'price_fen'], include=('listing', 'published_at', 'category_path', 'kind', 'city', 'certified', 'inspected', 'latitude', 'longitude'), name='search_doc_category'),
        ),
        migrations.AddConstraint(
            model_name='listingsearchfacetcell',
            constraint=models.UniqueConstraint(fields=('category_id', 'category_path', 'kind', 'grade_code', 'city', 'price_bucket', 'certified', 'inspected'), name='search_facet_cell_unique'),
        ),
            migrations.RunPython(drop_narrow_facet_index, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(count_existing_documents, migrations.RunPython.noop, elidable=False),
    ]
