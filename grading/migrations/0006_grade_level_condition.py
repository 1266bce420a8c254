"""Each grade level says which common condition level it means (like new, excellent, good, fair, for
parts), so buyers can filter on one scale whatever standard graded the item.

The stored standards get the mapping their files say (grading/standards/<code>-<version>.json,
`"condition"` on each level), frozen here as the seed migration freezes the standards: this
migration means the same thing whatever later becomes of the files (a test checks they still
match). Published standards are immutable, guarded by the triggers of
0004: this migration, and only it, lifts the guard of the levels table for its update. The column
is nullable without a default, so SQLite adds it in place (no table rebuild, the triggers stay).
"""
from importlib import import_module

from django.db import migrations, models

LEVEL_TABLE = "grading_gradelevel"
# (standard code, version) -> {grade code: condition level}; a grade not named (not sellable) has none.
CONDITIONS_OF_LEVELS = {
    ("apparel", 1): {"NWT": "like_new", "NWOT": "like_new", "EUC": "excellent", "G": "good", "F": "fair"},
    ("appliance", 1): {"A": "excellent", "B": "good", "C": "fair", "D": "for_parts"},
    ("auto-part", 1): {"NEW": "like_new", "REMAN": "excellent", "REUSED": "good"},
    ("book", 1): {"AN": "like_new", "F": "like_new", "VG": "excellent", "G": "good", "FR": "fair", "P": "fair"},
    ("computer", 1): {"P": "like_new", "A": "excellent", "B": "good", "C": "fair", "D": "for_parts"},
    ("furniture", 1): {"A": "excellent", "B": "good", "C": "fair"},
    ("general", 1): {"N": "like_new", "L": "like_new", "A": "good", "B": "fair", "C": "for_parts"},
    ("phone", 1): {"P": "like_new", "A": "excellent", "B": "good", "C": "fair", "D": "for_parts"},
}


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
    for (code, version), conditions in CONDITIONS_OF_LEVELS.items():
        standard = Standard.objects.filter(code=code, version=version).first()
        if standard is None:
            continue
        for grade_code, condition in conditions.items():
            Level.objects.filter(standard=standard, code=grade_code).update(condition=condition)
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
