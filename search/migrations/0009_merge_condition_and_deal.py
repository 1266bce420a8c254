"""Joins the two 0008 migrations: the condition level, accessory flag and FTS vocabulary (issue 24)
and the deal column (events). Both add nullable columns or their own structures and touch
nothing of the other's, so they may run in either order."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0008_condition_accessory_and_fts_vocabulary"),
        ("search", "0008_search_document_deal"),
    ]

    operations = []
