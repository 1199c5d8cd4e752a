"""Tariffs and tokens: the fields a user cares about compared, a retired tariff the CPO lists again fetched back, a
token the eMSP no longer lists invalidated by the repair's full pull."""

import json
from datetime import UTC, datetime

import pytest

from roaming.reconciliation.models import Difference
from roaming.reconciliation.services import reconciliation_run
from roaming.tariffs.models import Tariff
from roaming.tariffs.services import tariffs_ingest_page
from roaming.tokens.models import Token
from roaming.tokens.services.receive import tokens_ingest_page
from tests.reconciliation.conftest import serve
from tests.tariffs.factories import tariff_payload
from tests.tokens.factories import token_payload

pytestmark = pytest.mark.django_db

YEAR = {"date_from": datetime(2024, 1, 1, tzinfo=UTC), "date_to": datetime(2025, 1, 1, tzinfo=UTC)}


def rows(run):
    return sorted(
        (d.kind, d.object_id, d.field, d.our_value if d.field else None, d.their_value if d.field else None, d.action,
         d.repair_outcome)
        for d in Difference.objects.filter(run=run)
    )  # fmt: skip


def tariffs(*items):
    return json.loads(json.dumps(list(items), default=str))


def test_tariffs_currency_and_retirement(stub_server, stub_partner):
    path = "/ocpi/2.2.1/cpo/tariffs"
    cpo = stub_partner("DE", "CPO", "CPO", [("tariffs", "SENDER", path)])
    tariffs_ingest_page(
        partner_id=cpo.pk, objects=tariffs(tariff_payload(tariff_id="T1"), tariff_payload(tariff_id="T2"))
    )
    Tariff.objects.filter(tariff_id="T2").update(retired_at=datetime(2024, 6, 1, tzinfo=UTC))
    serve(stub_server, path, tariffs(tariff_payload(tariff_id="T1", currency="CHF"), tariff_payload(tariff_id="T2")))

    run = reconciliation_run(partner_id=cpo.pk, module="tariffs", repair=True, **YEAR)

    assert rows(run) == [
        ("differs", "DE/CPO/T1", "currency", "EUR", "CHF", "fetch", "repaired"),
        ("differs", "DE/CPO/T2", "retired", True, False, "fetch", "repaired"),
    ]
    assert list(Tariff.objects.order_by("tariff_id").values_list("currency", "retired_at")) == [
        ("CHF", None),
        ("EUR", None),
    ]


def test_tokens_valid_differs_and_one_no_longer_listed(stub_server, stub_partner):
    path = "/ocpi/2.2.1/emsp/tokens"
    emsp = stub_partner("DE", "MSP", "EMSP", [("tokens", "SENDER", path)])
    tokens_ingest_page(partner_id=emsp.pk, objects=[token_payload(uid="A"), token_payload(uid="B")])
    serve(stub_server, path, [token_payload(uid="A", valid=False)])

    run = reconciliation_run(partner_id=emsp.pk, module="tokens", repair=True, **YEAR)

    assert rows(run) == [
        ("differs", "DE/MSP/A/RFID", "valid", True, False, "fetch", "repaired"),
        ("missing_there", "DE/MSP/B/RFID", "", None, None, "full_pull", "repaired"),
    ]
    assert dict(Token.objects.values_list("uid", "valid")) == {"A": False, "B": False}
    again = reconciliation_run(partner_id=emsp.pk, module="tokens", **YEAR)
    assert (again.differences_found, again.compared_ours, again.compared_theirs) == (0, 2, 1)
