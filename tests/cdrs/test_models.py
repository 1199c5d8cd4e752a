"""A stored CDR is immutable (mod_cdrs.asciidoc, Flow and Lifecycle): the model refuses, and so does the database."""

from decimal import Decimal

import orjson
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, connection, transaction

from roaming.cdrs.choices import ReviewStatus
from roaming.cdrs.migrations import __path__ as migrations_path
from roaming.cdrs.models import IMMUTABLE_FIELDS, Cdr
from roaming.cdrs.ocpi.render import cdr_ocpi_json
from tests.cdrs.factories import own_cdr, received_cdr

pytestmark = pytest.mark.django_db

DATABASE_REFUSAL = (IntegrityError, InternalError)


def test_model_refuses_to_rewrite_a_stored_cdr(cpo):
    cdr = received_cdr(cpo[0])
    cdr.total_cost_excl_vat = Decimal("1.00")
    with pytest.raises(ValidationError, match="immutable"):
        cdr.save()
    with pytest.raises(ValidationError, match="immutable"):
        cdr.save(update_fields=["total_cost_excl_vat"])
    with pytest.raises(ValidationError, match="never deleted"):
        cdr.delete()


def test_database_refuses_an_update_of_the_content(cpo):
    cdr = received_cdr(cpo[0])
    with pytest.raises(DATABASE_REFUSAL, match="immutable"), transaction.atomic():
        Cdr.objects.filter(pk=cdr.pk).update(total_cost_excl_vat=Decimal("1.00"))
    with pytest.raises(DATABASE_REFUSAL, match="immutable"), transaction.atomic():
        Cdr.objects.filter(pk=cdr.pk).update(cdr_location={"id": "elsewhere"})
    assert Cdr.objects.get().total_cost_excl_vat == Decimal("4.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite (make run) guards updates only")
def test_database_refuses_a_delete(cpo):
    cdr = received_cdr(cpo[0])
    with (
        pytest.raises(DATABASE_REFUSAL, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM cdrs_cdr WHERE id = %s", [cdr.pk])
    assert Cdr.objects.filter(pk=cdr.pk).exists()


def test_our_bookkeeping_stays_writable(cpo):
    cdr = received_cdr(cpo[0])
    cdr.review_status = ReviewStatus.DISPUTED
    cdr.save(update_fields=["review_status"])
    Cdr.objects.filter(pk=cdr.pk).update(location_url="https://emsp.example/cdrs/1")
    cdr.refresh_from_db()
    assert (cdr.review_status, cdr.location_url) == (ReviewStatus.DISPUTED, "https://emsp.example/cdrs/1")


def test_the_trigger_guards_every_immutable_column():
    """The migration's column list and the model's immutable fields cannot drift apart unnoticed."""
    import importlib

    trigger = importlib.import_module("roaming.cdrs.migrations.0002_cdr_immutable_trigger")
    columns = {Cdr._meta.get_field(name).column for name in IMMUTABLE_FIELDS}
    assert set(trigger.COLUMNS) == columns
    assert migrations_path


def test_our_cdr_is_rendered_once_from_the_stored_row(emsp):
    cdr = own_cdr("A1")
    stored = Cdr.objects.get(pk=cdr.pk)
    assert stored.ocpi_json == cdr.ocpi_json == cdr_ocpi_json(stored)
    assert orjson.loads(stored.ocpi_json)["total_cost"] == {"excl_vat": 4.0, "incl_vat": 4.4}


def test_a_received_cdr_is_not_rendered_at_creation(cpo):
    """Only our CDRs are served in lists (the Sender); a received one is rendered when its GET asks."""
    assert Cdr.objects.get(pk=received_cdr(cpo[0]).pk).ocpi_json is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite (make run) has 0002's guard only")
def test_database_refuses_to_change_the_rendered_json(emsp):
    cdr = own_cdr("A1")
    with pytest.raises(DATABASE_REFUSAL, match="immutable"), transaction.atomic():
        Cdr.objects.filter(pk=cdr.pk).update(ocpi_json='{"id": "forged"}')
    with pytest.raises(ValidationError, match="immutable"):
        cdr.save(update_fields=["ocpi_json"])
    assert Cdr.objects.get().ocpi_json == cdr.ocpi_json
