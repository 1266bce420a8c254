"""Seed the starting set of grading standards as published version 1.

The standards are a frozen copy (0003_seed_standards.json beside this file) of the first eight
files of grading/standards/, and the few lines that build them are copied here too rather than
imported from grading.seed: this migration means the same thing forever, whatever later becomes
of those files and that module (a test checks the files still match the copy).
"""
import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

FROZEN_STANDARDS = Path(__file__).with_suffix(".json")
STANDARD_FIELDS = ("code", "version", "name_zh", "name_en", "description_zh", "description_en", "source")


def frozen_standards() -> list[dict]:
    return json.loads(FROZEN_STANDARDS.read_text(encoding="utf-8"))


def seed(apps, schema_editor):
    Standard = apps.get_model("grading", "GradingStandard")
    Level = apps.get_model("grading", "GradeLevel")
    Criterion = apps.get_model("grading", "Criterion")
    Transition = apps.get_model("grading", "StandardTransition")
    for data in frozen_standards():
        if Standard.objects.filter(code=data["code"], version=data["version"]).exists():
            continue
        standard = Standard.objects.create(status="draft", **{k: data[k] for k in STANDARD_FIELDS if k in data})
        Level.objects.bulk_create(
            Level(standard=standard, rank=rank, **level) for rank, level in enumerate(data["levels"])
        )
        Criterion.objects.bulk_create(
            Criterion(standard=standard, position=position, **criterion)
            for position, criterion in enumerate(data["criteria"])
        )
        Standard.objects.filter(pk=standard.pk).update(status="published", published_at=timezone.now())
        Transition.objects.create(standard=standard, from_status="draft", to_status="published")


def unseed(apps, schema_editor):
    Standard = apps.get_model("grading", "GradingStandard")
    Assessment = apps.get_model("grading", "Assessment")
    for data in frozen_standards():
        standard = Standard.objects.filter(code=data["code"], version=data["version"]).first()
        if standard is not None and not Assessment.objects.filter(standard=standard).exists():
            standard.levels.all().delete()
            standard.criteria.all().delete()
            standard.transitions.all().delete()
            standard.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("grading", "0002_frozen_standards_and_current_assessments"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
