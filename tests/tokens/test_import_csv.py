"""CSV import of card batches (roaming.tokens.services.imports): row-numbered errors, all-or-nothing unless
good-rows-only, idempotent, pushes, the template, the command."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from roaming.ocpi.models import OutboxMessage
from roaming.tokens.models import Token
from roaming.tokens.services.imports import template_csv, tokens_import_csv
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

HEADER = "uid;type;contract_id;issuer;visual_number;valid;whitelist\n"
GOOD = "AA01;RFID;NL-EXA-C12345678-N;Example;V1;true;ALLOWED\nAA02;;NLEXAC12345678;Example;V2;;\n"


def run(text: str, **kwargs):
    return tokens_import_csv(file=io.BytesIO(text.encode()), **kwargs)


@pytest.fixture
def cpo():
    return registered_partner_with_token(
        country_code="DE",
        party_id="CPO",
        role="CPO",
        endpoints=[("tokens", "RECEIVER", "http://cpo.invalid/ocpi/2.2.1/cpo/tokens")],
    )[0]


def test_good_file_imports_and_pushes_then_is_idempotent(cpo):
    report = run(HEADER + GOOD)
    assert (report.rows, report.created, report.updated, report.refused) == (2, 2, 0, False)
    assert report.summary() == "2 good rows. Did create 2 tokens, update 0, leave 0 unchanged."
    assert sorted(Token.objects.values_list("uid", "type", "valid", "whitelist")) == [
        ("AA01", "RFID", True, "ALLOWED"),
        ("AA02", "RFID", True, "ALLOWED"),
    ]
    assert OutboxMessage.objects.filter(method="PUT").count() == 2

    again = run(HEADER + GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert OutboxMessage.objects.count() == 2


def test_changed_rows_update_and_a_block_is_a_patch(cpo):
    run(HEADER + GOOD)
    report = run(HEADER + GOOD.replace("V1;true", "V1;false").replace("V2;", "V2-NEW;"))
    assert (report.created, report.updated) == (0, 2)
    pushes = dict(OutboxMessage.objects.order_by("id").values_list("path", "method")[2:])
    assert pushes == {"NL/EXA/AA01?type=RFID": "PATCH", "NL/EXA/AA02?type=RFID": "PUT"}


def test_a_bad_row_refuses_the_file_with_line_numbers():
    bad = HEADER + GOOD + "AA03;CARD;NL-EXA-C12345678-X;Example;;perhaps;\n;RFID;;;;;\nAA01;RFID;NLEXAC12345678;E;;;\n"
    report = run(bad)
    assert report.refused
    assert [str(e) for e in sorted(report.errors)] == [
        "line 4: contract_id: 'NL-EXA-C12345678-X': the check digit is 'X', expected 'N'",
        "line 4: type: 'CARD' is not one of AD_HOC_USER, APP_USER, OTHER, RFID",
        "line 4: valid: 'perhaps' is not true or false",
        "line 5: contract_id: is required",
        "line 5: issuer: is required",
        "line 5: uid: is required",
        "line 6: uid: 'AA01' (RFID) is already on line 2",
    ]
    assert report.summary() == "Nothing imported: 3 of 5 rows are invalid. Fix them, or import the good rows only."
    assert not Token.objects.exists()

    partial = run(bad, good_rows_only=True)
    assert (partial.created, partial.refused) == (2, False)
    assert Token.objects.count() == 2


def test_dry_run_writes_nothing():
    report = run(HEADER + GOOD, dry_run=True)
    assert report.created == 2
    assert report.summary().startswith("Dry run, nothing written: ")
    assert not Token.objects.exists()


def test_file_errors_and_unknown_columns():
    assert [str(e) for e in run("uid,issuer\nA,B\n").errors] == ["line 1: missing required columns: contract_id"]
    assert str(run("").errors[0]) == "line 1: the file is empty: expected a header row"
    latin = tokens_import_csv(file=io.BytesIO("uid,contract_id,issuer\nA,NLEXAC12345678,Café\n".encode("latin-1")))
    assert "not UTF-8" in str(latin.errors[0])
    report = run("UID,Contract ID,Issuer,Colour\nA,NLEXAC12345678,E,red\n")
    assert (report.created, report.ignored_columns) == (1, ["colour"])


def test_template_is_importable():
    report = run(template_csv())
    assert (report.errors, report.created) == ([], 1)


def test_command(tmp_path, capsys):
    path = tmp_path / "cards.csv"
    path.write_text(HEADER + GOOD)
    call_command("import_tokens", str(path))
    assert "Did create 2 tokens" in capsys.readouterr().out
    path.write_text(HEADER + "X;RFID;nope;E;;;\n")
    with pytest.raises(CommandError):
        call_command("import_tokens", str(path))
    assert "line 2: contract_id:" in capsys.readouterr().out


def test_statistics_are_refreshed_only_after_bulk_writes():
    from django.db import connection

    from roaming.tokens.services.common import analyze_if_stale

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    assert analyze_if_stale("tokens_token", changed=10) is False  # a few rows: autovacuum's business
    assert analyze_if_stale("tokens_token", changed=1_000_000) is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples >= 0 FROM pg_class WHERE relname = 'tokens_token'")
        assert cursor.fetchone() == (True,)  # analyzed: -1 means "never"
