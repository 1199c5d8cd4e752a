"""Demo tariffs for ``load_demo_data``: the ids the demo chargers reference (DEMO-AC, DEMO-DC)."""

from roaming.tariffs.services import tariff_save_own

DEMO_TARIFFS = [
    {
        "id": "DEMO-AC",
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.35/kWh, 0.45/kWh from 17:00 to 20:00, 2.00/h after 3 h"}],
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": "0.45", "vat": "21.0", "step_size": 1}],
                "restrictions": {"start_time": "17:00", "end_time": "20:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": "0.35", "vat": "21.0", "step_size": 1}]},
            {
                "price_components": [{"type": "TIME", "price": "2.00", "vat": "21.0", "step_size": 60}],
                "restrictions": {"min_duration": 10800},
            },
        ],
    },
    {
        "id": "DEMO-DC",
        "currency": "EUR",
        "type": "REGULAR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": "1.00", "vat": "21.0", "step_size": 1}]},
            {"price_components": [{"type": "ENERGY", "price": "0.59", "vat": "21.0", "step_size": 1}]},
            {
                "price_components": [{"type": "PARKING_TIME", "price": "6.00", "vat": "21.0", "step_size": 60}],
                "restrictions": {"min_duration": 2700},
            },
        ],
    },
]


def load_demo_tariffs() -> str:
    tariffs = [tariff_save_own(data=data) for data in DEMO_TARIFFS]
    return "Demo tariffs: " + ", ".join(t.tariff_id for t in tariffs)
