"""Tariffs end to end: a CPO tariff linked to connectors reaches the eMSP, and both sides price a session the same."""

import json

TARIFF = {
    "id": "AC-STD",
    "currency": "EUR",
    "type": "REGULAR",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": "0.45", "vat": "21.0", "step_size": 1}],
            "restrictions": {"start_time": "17:00", "end_time": "20:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": "0.30", "vat": "21.0", "step_size": 1}]},
        {
            "price_components": [{"type": "TIME", "price": "2.00", "vat": "21.0", "step_size": 60}],
            "restrictions": {"min_duration": 7200},
        },
    ],
}

QUOTE = (
    "import datetime, json\n"
    "from decimal import Decimal\n"
    "from roaming.tariffs.models import Tariff\n"
    "from roaming.tariffs.selectors import tariff_quote\n"
    "t = Tariff.objects.get(tariff_id='AC-STD')\n"
    "start = datetime.datetime(2026, 3, 10, 15, 30, tzinfo=datetime.timezone.utc)\n"
    "r = tariff_quote(tariff=t, start=start, time_zone='Europe/Amsterdam', duration=datetime.timedelta(hours=3),"
    " energy_kwh=Decimal('30'), max_power_kw=Decimal('11'))\n"
    "print(json.dumps(r.to_ocpi(), default=str))"
)


def test_tariff_linked_to_connectors_reaches_the_emsp_and_prices_the_same(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    cpo.manage("import_chargers", str(__import__("pathlib").Path(__file__).parent / "data" / "chargers.csv"))
    cpo.shell(
        "from roaming.locations.models import Connector\n"
        "from roaming.locations.services.tariff_assignment import connector_tariffs_assign\n"
        "from roaming.tariffs.selectors import tariff_assignment_conflicts\n"
        "from roaming.tariffs.services import tariff_save_own\n"
        f"t = tariff_save_own(data={json.dumps(TARIFF)})\n"
        "n = connector_tariffs_assign(tariff=t, connectors=Connector.objects.filter("
        "evse__location__location_id='LOC-AMS-1', evse__location__source_partner__isnull=True),"
        " conflicts=tariff_assignment_conflicts)\n"
        "assert n == 3, n"
    )

    # The tariff arrives at the eMSP, and so do the connectors that now reference it.
    emsp.wait_for(
        "SELECT currency, type FROM tariffs_tariff WHERE tariff_id = 'AC-STD' AND country_code = 'NL'",
        expect=lambda rows: rows == [("EUR", "REGULAR")],
    )
    emsp.wait_for(
        "SELECT count(*) FROM locations_connector c JOIN locations_evse e ON e.id = c.evse_id "
        "JOIN locations_location l ON l.id = e.location_id "
        "WHERE l.location_id = 'LOC-AMS-1' AND c.tariff_ids::text LIKE '%%AC-STD%%'",
        expect=lambda rows: rows[0][0] == 3,
    )
    # Numbers compare as numbers: 2.00 sent as JSON arrives as 2.0, the same value.
    render = (
        "import json\n"
        "from roaming.tariffs.models import Tariff\n"
        "from roaming.tariffs.ocpi.render import tariff_to_ocpi\n"
        "print(json.dumps(tariff_to_ocpi(Tariff.objects.get(tariff_id='AC-STD')), default=float))"
    )
    assert emsp.shell_json(render) == cpo.shell_json(render)

    # Both calculators price the same session identically: 16:30-19:30 Amsterdam, 30 kWh at 11 kW.
    cpo_quote, emsp_quote = cpo.shell_json(QUOTE), emsp.shell_json(QUOTE)
    assert emsp_quote == cpo_quote
    # 16:30-17:00 5.5 kWh x 0.30 + 17:00-19:13 24.5 kWh x 0.45 + TIME (charging only) after 2 h, 18:30-19:13:38
    # rounded up to 44 min x 2.00/h; the idle 19:13-19:30 is PARKING_TIME, unpriced: 1.65 + 11.025 + 1.4667 = 14.14
    assert cpo_quote["total_cost"] == {"excl_vat": "14.14", "incl_vat": "17.11"}
