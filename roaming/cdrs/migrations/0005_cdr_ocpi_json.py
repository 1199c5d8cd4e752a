"""``Cdr.ocpi_json``: the CDR object rendered once when it is stored (a CDR never changes), so the Sender list serves
pages of stored JSON. The immutability trigger of 0002 is extended: once written, ``ocpi_json`` cannot change
either (it is written by the UPDATE that follows the INSERT, from NULL). PostgreSQL only, as 0002's DELETE guard."""

from importlib import import_module

from django.db import migrations, models

trigger = import_module("roaming.cdrs.migrations.0002_cdr_immutable_trigger")
GUARD = "    IF OLD.ocpi_json IS NOT NULL AND NEW.ocpi_json IS DISTINCT FROM OLD.ocpi_json THEN\n"
GUARD += f"        RAISE EXCEPTION '{trigger.MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';\n    END IF;\n"
# The function of 0002 with one more check before it lets the row through.
FUNCTION = trigger.POSTGRES.split("CREATE TRIGGER")[0].replace("    RETURN NEW;\n", GUARD + "    RETURN NEW;\n")
FUNCTION_0002 = trigger.POSTGRES.split("CREATE TRIGGER")[0]


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_0002)


class Migration(migrations.Migration):
    dependencies = [("cdrs", "0004_shared_ocpi_enums")]

    operations = [
        migrations.AddField(
            model_name="cdr",
            name="ocpi_json",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="The CDR object as we render it (OCPI JSON), written once when the CDR is stored",
                null=True,
            ),
        ),
        migrations.RunPython(guard, unguard),
    ]
