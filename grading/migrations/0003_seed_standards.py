"""Seed the starting set of grading standards (grading/standards/*.json) as published version 1."""
from django.db import migrations
from django.utils import timezone

from grading.seed import SEEDED_FILES, STANDARDS_DIR, build_standard, read_standard_file


def seed(apps, schema_editor):
    Standard = apps.get_model("grading", "GradingStandard")
    Level = apps.get_model("grading", "GradeLevel")
    Criterion = apps.get_model("grading", "Criterion")
    Transition = apps.get_model("grading", "StandardTransition")
    for name in SEEDED_FILES:
        data = read_standard_file(STANDARDS_DIR / name)
        if Standard.objects.filter(code=data["code"], version=data["version"]).exists():
            continue
        standard = build_standard(data, standard_model=Standard, level_model=Level, criterion_model=Criterion)
        Standard.objects.filter(pk=standard.pk).update(status="published", published_at=timezone.now())
        Transition.objects.create(standard=standard, from_status="draft", to_status="published")


def unseed(apps, schema_editor):
    Standard = apps.get_model("grading", "GradingStandard")
    Assessment = apps.get_model("grading", "Assessment")
    for name in SEEDED_FILES:
        data = read_standard_file(STANDARDS_DIR / name)
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
