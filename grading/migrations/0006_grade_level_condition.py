"""Each grade level says which common condition level it means (like new, excellent, good, fair, for
parts), so buyers can filter on one scale whatever standard graded the item.

The stored standards get the mapping of their files (grading/standards/<code>-<version>.json,
`"condition"` on each level). Published standards are immutable, guarded by the triggers of
0004: this migration, and only it, lifts the guard of the levels table for its update. The column
is nullable without a default, so SQLite adds it in place (no table rebuild, the triggers stay).
"""
from importlib import import_module

from django.db import migrations, models

from grading.seed import SEEDED_FILES, STANDARDS_DIR, read_standard_file

LEVEL_TABLE = "grading_gradelevel"


def _guard_statements(vendor: str) -> tuple[list[str], list[str]]:
    """(lift, restore) the frozen-standard guard of the levels table, from 0004's own statements."""
    guard = import_module("grading.migrations.0004_frozen_standard_triggers")
    if vendor == "postgresql":
        return ([f"ALTER TABLE {LEVEL_TABLE} DISABLE TRIGGER {LEVEL_TABLE}_frozen"],
                [f"ALTER TABLE {LEVEL_TABLE} ENABLE TRIGGER {LEVEL_TABLE}_frozen"])
    if vendor == "sqlite":
        update = [statement for statement in guard.SQLITE_FORWARD if f"{LEVEL_TABLE}_frozen_update" in statement]
        return [f"DROP TRIGGER IF EXISTS {LEVEL_TABLE}_frozen_update"], update
    return [], []


def map_conditions(apps, schema_editor):
    Standard = apps.get_model("grading", "GradingStandard")
    Level = apps.get_model("grading", "GradeLevel")
    lift, restore = _guard_statements(schema_editor.connection.vendor)
    for statement in lift:
        schema_editor.execute(statement)
    for name in SEEDED_FILES:
        data = read_standard_file(STANDARDS_DIR / name)
        standard = Standard.objects.filter(code=data["code"], version=data["version"]).first()
        if standard is None:
            continue
        for level in data["levels"]:
            Level.objects.filter(standard=standard, code=level["code"]).update(condition=level.get("condition"))
    for statement in restore:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("grading", "0005_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradelevel",
            name="condition",
            field=models.CharField(
                blank=True, choices=[("like_new", "Like new"), ("excellent", "Excellent"), ("good", "Good"),
                                     ("fair", "Fair"), ("for_parts", "For parts or repair")],
                max_length=16, null=True, verbose_name="condition level",
            ),
        ),
        migrations.RunPython(map_conditions, migrations.RunPython.noop),
    ]
