"""On PostgreSQL, the database itself refuses UPDATE and DELETE of trace events.

The ORM already refuses (TraceEvent.save/delete and its queryset); the trigger also stops raw SQL
and other clients. Other databases rely on the ORM and on the hash chain, which detects tampering.
"""
from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION certification_traceevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'certification_traceevent is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER certification_traceevent_append_only
    BEFORE UPDATE OR DELETE ON certification_traceevent
    FOR EACH ROW EXECUTE FUNCTION certification_traceevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS certification_traceevent_append_only ON certification_traceevent;
DROP FUNCTION IF EXISTS certification_traceevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("certification", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
