# Photo derivatives are made by a task after the upload commits; `ready` says they exist.

import listings.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('listings', '0004_suspension_sources_grading_compliance'),
    ]

    operations = [
        # Photos stored before this migration were made with their derivatives in the request:
        # they are ready. New rows start not ready (the default after the second step).
        migrations.AddField(
            model_name='listingphoto',
            name='ready',
            field=models.BooleanField(default=True, verbose_name='derivatives made'),
        ),
        migrations.AlterField(
            model_name='listingphoto',
            name='ready',
            field=models.BooleanField(default=False, verbose_name='derivatives made'),
        ),
        migrations.AlterField(
            model_name='listingphoto',
            name='display',
            field=models.ImageField(blank=True, upload_to=listings.models.upload_display),
        ),
        migrations.AlterField(
            model_name='listingphoto',
            name='thumbnail',
            field=models.ImageField(blank=True, upload_to=listings.models.upload_thumbnail),
        ),
    ]
