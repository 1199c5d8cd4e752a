"""CDRs are immutable once stored (mod_cdrs.asciidoc, Flow and Lifecycle): the database refuses an UPDATE that
changes any OCPI column of ``cdrs_cdr`` and any DELETE, whatever code (or person) issues it. Our bookkeeping
columns (review, price check, delivery receipt, links) stay writable.

SQLite (``make run``, a demo) gets the UPDATE guard only: Django's ``flush`` empties SQLite tables with DELETE (not
TRUNCATE, which PostgreSQL's row triggers do not see), and a demo database must stay resettable."""

from django.db import migrations

# The OCPI content of a CDR and where it came from (roaming.cdrs.models.IMMUTABLE_FIELDS, as columns).
COLUMNS = [
    "country_code", "party_id", "cdr_id", "start_date_time", "end_date_time", "session_id", "cdr_token",
    "auth_method", "authorization_reference", "cdr_location", "meter_id", "currency", "tariffs",
    "charging_periods", "signed_data", "total_cost_excl_vat", "total_cost_incl_vat", "total_fixed_cost_excl_vat",
    "total_fixed_cost_incl_vat", "total_energy", "total_energy_cost_excl_vat", "total_energy_cost_incl_vat",
    "total_time", "total_time_cost_excl_vat", "total_time_cost_incl_vat", "total_parking_time",
    "total_parking_cost_excl_vat", "total_parking_cost_incl_vat", "total_reservation_cost_excl_vat",
    "total_reservation_cost_incl_vat", "remark", "invoice_reference_id", "credit", "credit_reference_id",
    "home_charging_compensation", "last_updated", "token_country_code", "token_party_id", "location_country",
    "direction", "partner_id", "raw", "received_at",
]
MESSAGE = "A stored CDR is immutable: credit it instead of changing it"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION cdrs_cdr_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'A CDR is never deleted: credit it instead' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF ({", ".join(f"NEW.{c}" for c in COLUMNS)}) IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in COLUMNS)}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cdrs_cdr_immutable BEFORE UPDATE OR DELETE ON cdrs_cdr
    FOR EACH ROW EXECUTE FUNCTION cdrs_cdr_immutable();
"""
POSTGRES_DROP = "DROP TRIGGER IF EXISTS cdrs_cdr_immutable ON cdrs_cdr; DROP FUNCTION IF EXISTS cdrs_cdr_immutable();"

SQLITE = [
    f"""CREATE TRIGGER cdrs_cdr_immutable_update BEFORE UPDATE ON cdrs_cdr
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COLUMNS)}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS cdrs_cdr_immutable_update", "DROP TRIGGER IF EXISTS cdrs_cdr_immutable_delete"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES] if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES_DROP] if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cdrs", "0001_cdrs")]

    operations = [migrations.RunPython(create, drop)]
