"""Golden pricing cases (issue 13): fixed tariffs and sessions with the engine's complete output, so a speed-up of
the engine can be held to "no result changes", down to each Decimal's exponent.

The cases are the spec's tariff examples, the benchmark's tariffs and a few hundred generated tariffs and sessions
(restrictions of every kind, reservations, DST days, zones with a 30-minute DST shift, unknown current, power
ranges, V2G-free positive energy only). They are generated from a fixed seed; the inputs are stored with the
outputs, so the test does not depend on this generator. Regenerate only after a *deliberate* change of results::

    .venv/bin/python -m tests.tariffs.pricing_golden   # rewrites tests/tariffs/data/pricing_golden.json

Outputs are stored as a digest of the canonical snapshot (every field of the result, Decimals as ``str``) next to
the exact total cost, which keeps the file small and a failure readable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "pricing_golden.json"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "ocpi-examples"
SEED = 13_2211
ZONES = ["UTC", "Europe/Amsterdam", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
# Session starts near DST changes (2024) besides random minutes of the year.
DST_DAYS = ["2024-03-10", "2024-03-31", "2024-04-07", "2024-10-06", "2024-10-27", "2024-11-03"]


# ----------------------------------------------------------------------------------------------- snapshot


def _s(value: Any) -> Any:
    """Canonical JSON form: Decimals and datetimes as ``str`` (keeps the exponent), containers recursively."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | dt.datetime):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _s(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_s(v) for v in value]
    return repr(value)


def _price(price: Any) -> Any:
    return None if price is None else [_s(price.excl_vat), _s(price.incl_vat)]


def _applied(applied: Any) -> list:
    c = applied.component
    return [applied.element_index, str(c.type), _s(c.price), _s(c.vat), c.step_size]


def snapshot(result: Any) -> dict:
    """Every field of a ``PricingResult`` (and its OCPI output) in canonical JSON form."""
    periods = []
    for p in result.periods:
        periods.append(
            {
                "index": p.index,
                "start": _s(p.start),
                "end": _s(p.end),
                "kind": str(p.kind),
                "energy_kwh": _s(p.energy_kwh),
                "seconds": _s(p.seconds),
                "power": [_s(p.min_power_kw), _s(p.max_power_kw)],
                "current": [_s(p.min_current_a), _s(p.max_current_a)],
                "components": {str(k): _applied(v) for k, v in p.components.items()},
                "billed": {str(k): _s(v) for k, v in p.billed.items()},
                "costs": {str(k): _price(v) for k, v in p.costs.items()},
                "tariff_id": p.tariff_id,
            }
        )
    return {
        "currency": result.currency,
        "tariff_id": result.tariff_id,
        "time_zone": result.time_zone,
        "periods": periods,
        "exact": {str(k): _price(v) for k, v in result.exact.items()},
        "uncapped_total": _price(result.uncapped_total),
        "adjustment": _price(result.adjustment),
        "adjustment_reason": result.adjustment_reason,
        "flat_fees": [
            [str(f.category), f.period_index, _applied(f.applied), _price(f.cost), f.expiry] for f in result.flat_fees
        ],
        "volumes": [
            _s(getattr(result, name))
            for name in (
                "total_energy",
                "total_time",
                "total_charging_time",
                "total_parking_time",
                "total_reservation_time",
                "billed_energy",
                "billed_time",
                "billed_parking_time",
                "billed_reservation_time",
            )
        ],
        "span": [_s(result.start), _s(result.end)],
        "warnings": list(result.warnings),
        "ocpi": _s(result.to_ocpi()),
    }


def digest(snap: dict) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def summary(result: Any) -> dict:
    """The exact total and the period count, stored beside the digest so a failure says what moved."""
    return {"periods": len(result.periods), "total_cost": _price(result.exact["total_cost"])}


# ----------------------------------------------------------------------------------------------- inputs


def build(case: dict, api: Any) -> tuple[Any, Any]:
    """The tariff and timeline of ``case`` built with ``api`` (a module exposing ``parse_tariff``, ``Timeline``,
    ``Interval`` and ``Reservation``: the engine under test, or a frozen copy of an older one)."""
    tariff = api.parse_tariff(case["tariff"])
    spec = case["timeline"]
    reservation = None
    if spec.get("reservation"):
        r = spec["reservation"]
        reservation = api.Reservation(r["start"], r["end"], expired=r["expired"])
    if spec.get("expired"):
        return tariff, api.Timeline.expired_reservation(
            spec["reservation"]["start"], spec["reservation"]["end"], time_zone=spec["time_zone"]
        )
    intervals = [api.Interval.from_dict(iv) for iv in spec["intervals"]]
    timeline = api.Timeline.from_intervals(
        intervals, time_zone=spec["time_zone"], start=spec["start"], end=spec["end"], reservation=reservation
    )
    return tariff, timeline


def price(case: dict, api: Any) -> Any:
    tariff, timeline = build(case, api)
    return api.price_session(tariff, timeline, vat_absent_means_unknown=case.get("vat_unknown", False))


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _money(rng: random.Random, high: int = 5) -> str:
    return str(Decimal(rng.randint(0, high * 100)) / 100)


def _restrictions(rng: random.Random) -> dict:
    r: dict = {}
    hhmm = f"{rng.randrange(24):02d}:{rng.choice([0, 15, 30]):02d}"
    if rng.random() < 0.35:
        r["start_time"] = hhmm
    if rng.random() < 0.35:
        r["end_time"] = f"{rng.randrange(24):02d}:{rng.choice([0, 15, 30]):02d}"
    if rng.random() < 0.25:
        r["day_of_week"] = rng.sample(DAYS, rng.randint(1, 6))
    if rng.random() < 0.1:
        r["start_date"] = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.1:
        r["end_date"] = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.2:
        r["min_duration"] = rng.randint(0, 4 * 3600)
    if rng.random() < 0.2:
        r["max_duration"] = rng.randint(1, 6 * 3600)
    if rng.random() < 0.2:
        r["min_kwh"] = str(Decimal(rng.randint(0, 400)) / 10)
    if rng.random() < 0.2:
        r["max_kwh"] = str(Decimal(rng.randint(10, 600)) / 10)
    for key, values in (
        ("min_power", [3.7, 7.4, 11, 22, 50]),
        ("max_power", [3.7, 7.4, 11, 22, 50, 150]),
        ("min_current", [10, 16, 32]),
        ("max_current", [16, 32, 63]),
    ):
        if rng.random() < 0.12:
            r[key] = rng.choice(values)
    return r


def random_tariff(rng: random.Random, n: int) -> dict:
    steps = {
        "ENERGY": rng.choice([1, 1, 100, 500, 1000]),
        "TIME": rng.choice([1, 60, 300, 900]),
        "PARKING_TIME": rng.choice([1, 60, 300, 900]),
        "FLAT": 1,
    }
    elements = []
    for _ in range(rng.randint(1, 5)):
        components = []
        for dim in rng.sample(list(steps), rng.randint(1, 4)):
            component = {"type": dim, "price": _money(rng), "step_size": steps[dim]}
            vat = rng.choice([None, 0, 10, 21, 20.5])
            if vat is not None:
                component["vat"] = vat
            components.append(component)
        element: dict = {"price_components": components}
        if rng.random() < 0.6:
            element["restrictions"] = _restrictions(rng)
        elements.append(element)
    if rng.random() < 0.25:
        kind = rng.choice(["RESERVATION", "RESERVATION_EXPIRES"])
        components = [{"type": "TIME", "price": _money(rng), "step_size": rng.choice([1, 60, 300])}]
        if rng.random() < 0.5:
            components.append({"type": "FLAT", "price": _money(rng), "vat": 21})
        elements.insert(
            rng.randint(0, len(elements)), {"price_components": components, "restrictions": {"reservation": kind}}
        )
    data: dict = {"id": f"G{n}", "currency": rng.choice(["EUR", "EUR", "EUR", "JPY", "KWD"]), "elements": elements}
    if rng.random() < 0.3:
        data["min_price"] = {"excl_vat": _money(rng)}
        if rng.random() < 0.7:
            data["min_price"]["incl_vat"] = _money(rng)
    if rng.random() < 0.3:
        data["max_price"] = {"excl_vat": _money(rng, 60)}
        if rng.random() < 0.7:
            data["max_price"]["incl_vat"] = _money(rng, 70)
    if rng.random() < 0.1:
        data["start_date_time"] = "2024-06-01T00:00:00Z"
    if rng.random() < 0.1:
        data["end_date_time"] = "2024-09-01T00:00:00Z"
    return data


def random_timeline(rng: random.Random) -> dict:
    if rng.random() < 0.3:
        day = dt.datetime.fromisoformat(rng.choice(DST_DAYS)).replace(tzinfo=dt.UTC)
        start = day + dt.timedelta(minutes=rng.randrange(-12 * 60, 36 * 60), seconds=rng.choice([0, 0, 17]))
    else:
        start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(366 * 24 * 60))
    zone = rng.choice(ZONES)
    if rng.random() < 0.04:
        # An expired reservation: no session at all.
        reserved = dt.timedelta(seconds=rng.randint(60, 3 * 3600))
        return {
            "expired": True,
            "time_zone": zone,
            "reservation": {"start": _iso(start - reserved), "end": _iso(start), "expired": True},
        }
    cursor = start
    intervals = []
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3, 5])):
        if rng.random() < 0.3:
            cursor += dt.timedelta(seconds=rng.randint(1, 3600))
        length = dt.timedelta(seconds=rng.randint(0, 4 * 3600), microseconds=rng.choice([0, 0, 0, 250_000]))
        charging = rng.random() < 0.75
        iv: dict = {"start": _iso(cursor), "end": _iso(cursor + length), "charging": charging}
        if charging:
            iv["energy_kwh"] = str(Decimal(rng.randint(0, 50_000)) / 1000)
            shape = rng.random()
            if shape < 0.3:
                iv["power_kw"] = rng.choice(["3.7", "7.4", "11", "22", "50", "150"])
                iv["current_a"] = rng.choice([None, "16", "32", "48", "125"])
            elif shape < 0.5:
                iv["min_power_kw"], iv["max_power_kw"] = sorted(
                    rng.sample(["3.7", "7.4", "11", "22", "50"], 2), key=Decimal
                )
                iv["min_current_a"], iv["max_current_a"] = sorted(
                    rng.sample(["6", "10", "16", "32", "63"], 2), key=Decimal
                )
            elif shape < 0.6:
                iv["current_a"] = rng.choice(["10", "16", "32"])
        intervals.append({k: v for k, v in iv.items() if v is not None})
        cursor += length
    end = cursor + dt.timedelta(seconds=rng.choice([0, 0, 60, 900, 3600, rng.randint(0, 8 * 3600)]))
    timeline: dict = {"start": _iso(start), "end": _iso(end), "time_zone": zone, "intervals": intervals}
    if rng.random() < 0.2:
        reserved = dt.timedelta(seconds=rng.randint(1, 3600))
        timeline["reservation"] = {"start": _iso(start - reserved), "end": _iso(start), "expired": False}
    return timeline


def _constant(start: str, zone: str, kwh: str, power: str, parking_min: int, current: str | None = None) -> dict:
    begin = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
    seconds = int(Decimal(kwh) / Decimal(power) * 3600)
    end = begin + dt.timedelta(seconds=seconds)
    iv = {"start": _iso(begin), "end": _iso(end), "energy_kwh": kwh, "charging": True, "power_kw": power}
    if current is not None:
        iv["current_a"] = current
    return {
        "start": _iso(begin),
        "end": _iso(end + dt.timedelta(minutes=parking_min)),
        "time_zone": zone,
        "intervals": [iv],
    }


def generate() -> list[dict]:
    """All golden cases (inputs only), deterministic."""
    from bench.bench_pricing import TARIFFS

    rng = random.Random(SEED)
    cases: list[dict] = []
    spec_tariffs = []
    for path in sorted(EXAMPLES.glob("tariff*.json")):
        data = json.loads(path.read_text())
        data = data.get("data", data) if isinstance(data, dict) else data
        if isinstance(data, dict) and data.get("elements") and data.get("currency"):
            spec_tariffs.append((path.stem, data))
    fixed_sessions = [
        _constant("2019-03-04T09:00:00", "Europe/Berlin", "20", "11", 0),
        _constant("2019-03-04T09:00:00", "Europe/Berlin", "20", "11", 42, "16"),
        _constant("2019-03-09T13:30:00", "Europe/Berlin", "45.2", "50", 90, "125"),
        _constant("2019-03-09T20:30:00", "Europe/Berlin", "1.9", "3.7", 15, "16"),
    ]
    for name, data in spec_tariffs:
        for session in fixed_sessions:
            cases.append({"name": name, "tariff": data, "timeline": session})
        for _ in range(4):
            cases.append({"name": name, "tariff": data, "timeline": random_timeline(rng)})
    for name, data in TARIFFS.items():
        tariff = {"id": name, "currency": "EUR", **data}
        for _ in range(8):
            cases.append({"name": f"bench_{name}", "tariff": tariff, "timeline": random_timeline(rng)})
    for n in range(300):
        case = {"name": f"generated_{n}", "tariff": random_tariff(rng, n), "timeline": random_timeline(rng)}
        if rng.random() < 0.15:
            case["vat_unknown"] = True
        cases.append(case)
    return cases


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def load() -> list[dict]:
    """The stored cases, each with its tariff JSON resolved (the file keeps each tariff once)."""
    stored = json.loads(DATA.read_text())
    return [{**case, "tariff": stored["tariffs"][case["tariff"]]} for case in stored["cases"]]


def main() -> None:
    import roaming.tariffs.pricing as api

    tariffs: dict[str, dict] = {}
    cases = []
    for case in generate():
        case = _jsonable(case)
        key = case["name"]
        assert tariffs.setdefault(key, case["tariff"]) == case["tariff"], key
        result = price(case, api)
        cases.append({**case, "tariff": key, "expected": {"digest": digest(snapshot(result)), **summary(result)}})
    DATA.parent.mkdir(exist_ok=True)
    text = json.dumps({"tariffs": tariffs, "cases": cases}, separators=(",", ":"), sort_keys=True)
    DATA.write_text(text + "\n")
    print(f"{len(cases)} cases, {len(tariffs)} tariffs written to {DATA}")


if __name__ == "__main__":
    main()
