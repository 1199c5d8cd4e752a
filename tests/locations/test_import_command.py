"""``manage.py import_chargers``: output and exit status."""

import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from roaming.locations.models import EVSE, Location
from tests.locations.factories_import import DATA, charger_row, make_csv

pytestmark = pytest.mark.django_db


def call(*args) -> str:
    out = StringIO()
    call_command("import_chargers", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_a_valid_file_prints_the_summary_and_imports():
    output = call(DATA / "chargers_valid.csv")

    assert "4 good rows. Did create 2 locations, 3 EVSEs, 4 connectors" in output
    assert "no partner receives locations yet, so nothing is pushed." in output  # no partner in this test
    assert EVSE.objects.count() == 3


def test_the_summary_counts_the_partners_that_receive_the_push():
    from tests.partners.factories import registered_partner_with_token

    registered_partner_with_token(endpoints=[("locations", "RECEIVER", "http://127.0.0.1:9/ocpi/locations")])
    output = call(DATA / "chargers_valid.csv")

    assert "push 2 locations to 1 partner." in output


def test_bad_rows_are_printed_with_their_line_and_the_command_fails():
    out = StringIO()

    with pytest.raises(CommandError, match="8 bad rows; nothing imported"):
        call_command("import_chargers", str(DATA / "chargers_bad.csv"), stdout=out)

    output = out.getvalue()
    assert "Nothing imported: 8 of 8 rows are invalid" in output
    assert "line 3: evse_id: country code 'XX' is not ISO 3166-1 alpha-2\n" in output
    assert "line 7: max_amperage: is required\n" in output
    assert Location.objects.count() == 0


def test_good_rows_only_imports_the_rest_and_succeeds(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(make_csv([charger_row(1), charger_row(2, evse_id="NL*EXA*Q2")]))

    output = call(path, "--good-rows-only")

    assert "1 good row. 1 bad row skipped." in output
    assert "line 3: evse_id: missing the 'E' type letter after the operator id 'NL*EXA'" in output
    assert list(EVSE.objects.values_list("internal_id", flat=True)) == ["CP-0001"]


def test_dry_run_writes_nothing():
    output = call(DATA / "chargers_valid.csv", "--dry-run")

    assert output.startswith("Dry run, nothing written: 4 good rows.")
    assert "Would create 2 locations" in output
    assert EVSE.objects.count() == 0


def test_dry_run_with_bad_rows_fails_too():
    with pytest.raises(CommandError):
        call_command("import_chargers", str(DATA / "chargers_bad.csv"), "--dry-run", stdout=StringIO())


def test_warnings_and_ignored_columns_are_printed(tmp_path):
    path = tmp_path / "us.csv"
    path.write_bytes(make_csv([charger_row(1, country="USA", evse_id="US*EXA*E1", notes="x")]))

    output = call(path)

    assert "Ignored unknown columns: notes" in output
    assert "warning: line 2: time_zone: not given and country USA has several time zones" in output


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_chargers", str(tmp_path / "nope.csv"))


def test_exit_status_is_non_zero_when_rows_were_refused():
    """The real process exit code, as a script or CI job sees it (no database needed: the file is refused)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "import_chargers", str(DATA / "chargers_bad.csv"), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )

    assert result.returncode == 1, result.stderr
    assert "line 9: connector_id: evse_id 'NL*EXA*E0001' connector_id '1' is already on line 2" in result.stdout
    assert "CommandError: 8 bad rows; nothing imported." in result.stderr
