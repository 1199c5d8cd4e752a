"""``manage.py price_cdr``: recompute a CDR's cost from its charging periods (no database needed)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from roaming.tariffs.management.commands.price_cdr import Command
from tests.data import OCPI_EXAMPLES

EXAMPLES = OCPI_EXAMPLES


def run(*args) -> dict:
    out = StringIO()
    call_command("price_cdr", *[str(a) for a in args], stdout=out)
    return json.loads(out.getvalue())


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.django_db  # the CDR's location is looked up (and not found) for its time zone
def test_spec_cdr_example_matches_its_own_cost():
    # cdr_example.json: 118 min 23 s of TIME under "€2.00/h, step 300 s, 10% VAT" (same as tariff_put_example).
    report = run(EXAMPLES / "tariff_put_example.json", EXAMPLES / "cdr_example.json")
    assert report["recomputed"]["total_cost"] == {"excl_vat": "4.00", "incl_vat": "4.40"}
    assert report["recomputed"]["total_time_cost"] == {"excl_vat": "4.00", "incl_vat": "4.40"}
    assert report["cdr"]["total_cost"] == {"excl_vat": "4.0", "incl_vat": "4.4"}
    assert report["difference"]["total_cost"] == {"excl_vat": "0.00", "incl_vat": "0.00"}
    assert report["difference"]["total_fixed_cost"] is None  # the CDR does not state it
    assert report["matches"] is True
    assert report["time_zone"] == "UTC" and report["time_zone_source"] == "default"
    assert report["charging_periods"][0]["start_date_time"] == "2015-06-29T21:39:09Z"
    # The period declares TIME 1.973 h; its timestamps span 1.97306 h: within rounding, priced as declared.
    assert report["recomputed"]["total_time"] == "1.9730"
    assert report["difference"]["total_time"] == "0.0000"
    assert report["period_discrepancies"] == []
    # Its single period has only TIME, while the CDR states 15.342 kWh: reported, not silently ignored.
    assert report["difference"]["total_energy"] == "-15.3420"
    assert any("no ENERGY" in w for w in report["warnings"])


def test_envelope_list_and_time_zone_from_cdr_location(tmp_path):
    tariff = json.loads((EXAMPLES / "tariff_14_step_size.json").read_text())
    # 19:40-19:52 charging, 19:52-20:12 parking, local Berlin time (spec: € 0.73); the CDR claims 0.80.
    cdr = {
        "id": "C1",
        "currency": "EUR",
        "start_date_time": "2018-12-18T18:40:00Z",
        "end_date_time": "2018-12-18T19:12:00Z",
        "cdr_location": {"id": "LOC1", "time_zone": "Europe/Berlin"},
        "charging_periods": [
            {"start_date_time": "2018-12-18T18:40:00Z", "dimensions": [{"type": "TIME", "volume": 0.2}]},
            {"start_date_time": "2018-12-18T18:52:00Z", "dimensions": [{"type": "PARKING_TIME", "volume": 0.3333}]},
        ],
        "total_cost": {"excl_vat": 0.80},
    }
    tariff_file = write(
        tmp_path, "tariff.json", {"data": tariff, "status_code": 1000, "timestamp": "2018-12-18T00:00:00Z"}
    )
    cdr_file = write(tmp_path, "cdr.json", [cdr])
    report = run(tariff_file, cdr_file)
    assert report["time_zone"] == "Europe/Berlin" and report["time_zone_source"] == "cdr_location"
    assert report["recomputed"]["total_cost"] == {"excl_vat": "0.73", "incl_vat": "0.73"}
    assert report["difference"]["total_cost"] == {"excl_vat": "-0.07", "incl_vat": None}
    assert report["matches"] is False
    # --time-zone wins over the CDR: read as UTC the session is 18:40-19:12, entirely in the 17:00-20:00 element.
    report = run(tariff_file, cdr_file, "--time-zone", "UTC")
    assert report["time_zone_source"] == "option"
    assert report["recomputed"]["total_time_cost"]["excl_vat"] == "0.48"  # 12 min at 2.40/h, not rounded
    assert report["recomputed"]["total_parking_cost"]["excl_vat"] == "0.50"  # 20 -> 30 min at 1.00/h


def test_resolver_hook_is_used_after_the_json(tmp_path, monkeypatch):
    tariff = {
        "id": "N",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": 0.10, "step_size": 1}],
                "restrictions": {"start_time": "22:00", "end_time": "06:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.40, "step_size": 1}]},
        ],
    }
    cdr = {
        "currency": "EUR",
        "end_date_time": "2024-01-15T22:00:00Z",
        "charging_periods": [
            {"start_date_time": "2024-01-15T21:00:00Z", "dimensions": [{"type": "ENERGY", "volume": 10}]}
        ],
    }
    files = write(tmp_path, "t.json", tariff), write(tmp_path, "c.json", cdr)
    assert run(*files)["recomputed"]["total_cost"]["excl_vat"] == "4.00"  # UTC 21-22: day price
    monkeypatch.setattr(Command, "time_zone_resolver", staticmethod(lambda cdr: "Europe/Amsterdam"))
    report = run(*files)
    assert report["time_zone_source"] == "resolver"
    assert report["recomputed"]["total_cost"]["excl_vat"] == "1.00"  # 22-23 local: night price
    assert report["recomputed"]["total_energy"] == "10.0000"


def test_bad_input_raises_command_error(tmp_path):
    good = EXAMPLES / "cdr_example.json"
    with pytest.raises(CommandError, match="not valid JSON"):
        run(_broken(tmp_path), good)
    with pytest.raises(CommandError, match="invalid tariff"):
        run(write(tmp_path, "t.json", {"elements": []}), good)
    with pytest.raises(CommandError, match="unknown time zone"):
        run(EXAMPLES / "tariff_put_example.json", good, "--time-zone", "Mars/Olympus")
    with pytest.raises(CommandError, match="no charging_periods"):
        run(EXAMPLES / "tariff_put_example.json", write(tmp_path, "c.json", {"end_date_time": "2024-01-01T00:00:00Z"}))


def _broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    return path


@pytest.mark.django_db
def test_time_zone_defaults_to_the_cdr_locations_zone_from_the_database(tmp_path, capsys):
    from tests.locations.factories import LocationFactory

    LocationFactory(country_code="BE", party_id="BEC", location_id="LOC1", time_zone="Europe/Brussels")
    cdr = json.loads((EXAMPLES / "cdr_example.json").read_text())
    cdr.setdefault("cdr_location", {})["id"] = "LOC1"
    cdr["country_code"], cdr["party_id"] = "BE", "BEC"
    cdr["cdr_location"].pop("time_zone", None)
    cdr_file = tmp_path / "cdr.json"
    cdr_file.write_text(json.dumps(cdr))
    call_command("price_cdr", str(EXAMPLES / "tariff_8_simple_025kwh.json"), str(cdr_file))
    report = json.loads(capsys.readouterr().out)
    assert report["time_zone"] == "Europe/Brussels"
    assert report["time_zone_source"] == "resolver"


TIME_AND_PARKING = {
    "country_code": "NL",
    "party_id": "EXA",
    "id": "TP",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "TIME", "price": "2.00", "step_size": 1}]},
        {"price_components": [{"type": "PARKING_TIME", "price": "4.00", "step_size": 1}]},
    ],
    "last_updated": "2024-01-01T00:00:00Z",
}


def period(start, **volumes):
    return {"start_date_time": start, "dimensions": [{"type": k, "volume": v} for k, v in volumes.items()]}


@pytest.mark.django_db
def test_declared_volumes_are_priced_and_disagreeing_periods_listed(tmp_path):
    # The CPO claims 0.5 h of charging although its next period starts an hour later: finance disputes the claim,
    # so the claim is priced (€1.00, not the €2.00 the timestamps imply) and the period is listed with both figures.
    cdr = {
        "id": "CDR1",
        "currency": "EUR",
        "start_date_time": "2024-03-01T10:00:00Z",
        "end_date_time": "2024-03-01T11:15:00Z",
        "charging_periods": [
            period("2024-03-01T10:00:00Z", TIME=0.5, ENERGY=10),
            period("2024-03-01T11:00:00Z", PARKING_TIME=0.25),
        ],
        "total_cost": {"excl_vat": 2.00},
        "total_time": 0.75,
        "total_parking_time": 0.25,
    }

    report = run(write(tmp_path, "t.json", TIME_AND_PARKING), write(tmp_path, "c.json", cdr))

    assert report["recomputed"]["total_time_cost"]["excl_vat"] == "1.00"
    assert report["recomputed"]["total_parking_cost"]["excl_vat"] == "1.00"
    assert report["recomputed"]["total_cost"]["excl_vat"] == "2.00"
    assert report["recomputed"]["total_time"] == "0.7500"
    assert report["recomputed"]["total_parking_time"] == "0.2500"
    assert report["matches"] is True
    assert report["period_discrepancies"] == [
        {
            "period": 0,
            "start_date_time": "2024-03-01T10:00:00Z",
            "declared_hours": "0.5000",
            "timestamps_hours": "1.0000",
        }
    ]
    assert any("disagrees with their timestamps" in w for w in report["warnings"])


@pytest.mark.django_db
def test_a_period_declaring_more_than_its_timestamps_is_priced_as_declared(tmp_path):
    cdr = {
        "currency": "EUR",
        "end_date_time": "2024-03-01T10:30:00Z",
        "charging_periods": [period("2024-03-01T10:00:00Z", TIME=1.5)],
    }

    report = run(write(tmp_path, "t.json", TIME_AND_PARKING), write(tmp_path, "c.json", cdr))

    assert report["recomputed"]["total_time_cost"]["excl_vat"] == "3.00"
    assert [(d["declared_hours"], d["timestamps_hours"]) for d in report["period_discrepancies"]] == [
        ("1.5000", "0.5000")
    ]


@pytest.mark.django_db
def test_periods_without_time_dimensions_keep_their_timestamps(tmp_path):
    cdr = {
        "currency": "EUR",
        "end_date_time": "2024-03-01T10:30:00Z",
        "charging_periods": [period("2024-03-01T10:00:00Z", ENERGY=5)],
    }

    report = run(write(tmp_path, "t.json", TIME_AND_PARKING), write(tmp_path, "c.json", cdr))

    assert report["recomputed"]["total_time"] == "0.5000"
    assert report["period_discrepancies"] == []
