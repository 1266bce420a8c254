"""A database-level guard: a published or superseded standard, its levels and criteria never change.

The models refuse such writes too (GradingStandard.save/delete, GradeLevel/Criterion.save/delete),
but queryset.update(), bulk writes and raw SQL bypass them; these triggers do not. Only the
status (published -> superseded) and superseded_by of a published standard may change. A refused
write raises IntegrityError on both SQLite and PostgreSQL.

SQLite has no DELETE guard: Django flushes SQLite test databases (transactional tests) with DELETE,
which the guard would refuse; PostgreSQL flushes with TRUNCATE, which row triggers do not see.
"""
from django.db import migrations

MESSAGE = "grading standard is published and immutable"
STANDARD_COLUMNS = ["code", "version", "name_zh", "name_en", "description_zh", "description_en", "source", "published_at"]
PART_TABLES = ["grading_gradelevel", "grading_criterion"]

SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in STANDARD_COLUMNS)
SQLITE_FORWARD = [
    f"""CREATE TRIGGER grading_standard_frozen_update BEFORE UPDATE ON grading_gradingstandard
    WHEN OLD.status <> 'draft' AND ({SQLITE_CHANGED} OR NEW.status = 'draft'
        OR (OLD.status = 'superseded' AND (NEW.status IS NOT OLD.status OR NEW.superseded_by_id IS NOT OLD.superseded_by_id)))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",

]
for table in PART_TABLES:
    frozen = "(SELECT status FROM grading_gradingstandard WHERE id = {row}.standard_id) <> 'draft'"
    SQLITE_FORWARD += [
        f"""CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table} WHEN {frozen.format(row='NEW')}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        f"""CREATE TRIGGER {table}_frozen_update BEFORE UPDATE ON {table}
        WHEN {frozen.format(row='OLD')} OR {frozen.format(row='NEW')} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    ]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS grading_standard_frozen_update"]
SQLITE_BACKWARD += [f"DROP TRIGGER IF EXISTS {table}_frozen_{op}" for table in PART_TABLES for op in ("insert", "update")]

NEW_COLUMNS = ", ".join(f"NEW.{c}" for c in STANDARD_COLUMNS)
OLD_COLUMNS = ", ".join(f"OLD.{c}" for c in STANDARD_COLUMNS)
POSTGRES_FORWARD = [
    f"""CREATE OR REPLACE FUNCTION grading_standard_guard() RETURNS trigger AS $$
    BEGIN
        IF OLD.status <> 'draft' THEN
            IF TG_OP = 'DELETE' OR NEW.status = 'draft'
               OR ({NEW_COLUMNS}) IS DISTINCT FROM ({OLD_COLUMNS})
               OR (OLD.status = 'superseded'
                   AND (NEW.status, NEW.superseded_by_id) IS DISTINCT FROM (OLD.status, OLD.superseded_by_id)) THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER grading_standard_frozen BEFORE UPDATE OR DELETE ON grading_gradingstandard
    FOR EACH ROW EXECUTE FUNCTION grading_standard_guard()""",
    f"""CREATE OR REPLACE FUNCTION grading_standard_part_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            IF EXISTS (SELECT 1 FROM grading_gradingstandard WHERE id = OLD.standard_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM grading_gradingstandard WHERE id = NEW.standard_id AND status <> 'draft') THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
        RETURN OLD;
    END $$ LANGUAGE plpgsql""",
]
POSTGRES_FORWARD += [
    f"""CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION grading_standard_part_guard()"""
    for table in PART_TABLES
]
POSTGRES_BACKWARD = ["DROP TRIGGER IF EXISTS grading_standard_frozen ON grading_gradingstandard"]
POSTGRES_BACKWARD += [f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}" for table in PART_TABLES]
POSTGRES_BACKWARD += ["DROP FUNCTION IF EXISTS grading_standard_guard()", "DROP FUNCTION IF EXISTS grading_standard_part_guard()"]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
}


def _run(direction):
    def run(apps, schema_editor):
        # Other databases keep the model-level guard only.
        for statement in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[direction]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("grading", "0003_seed_standards"),
    ]

    operations = [migrations.RunPython(_run(0), _run(1))]
