"""The per-level category rows go: the document's category path serves the category facet and
filter, and suggestions find the indexed categories in the facet cells' paths. A rebuild writes
about 150,000 fewer rows at 90,000 listings."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0005_facet_cells_by_price_step'),
    ]

    operations = [
        migrations.DeleteModel(
            name='ListingSearchCategory',
        ),
    ]
