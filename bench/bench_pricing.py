"""Benchmark of the OCPI tariff pricing engine (roaming.tariffs.pricing).

Prices N realistic sessions (default 100,000) against a mix of tariffs — simple per kWh, time of day, parking
with step sizes, min/max price, power tiers, and a complex multi-element tariff (the spec's tariff_4 shape plus a
night rate) — and prints sessions per second. Sessions are AC and DC charges in Europe/Amsterdam with a DC taper,
optional pauses and parking, generated from a fixed seed so runs are comparable.

    .venv/bin/python bench/bench_pricing.py [--n N] [--seed S] [--build-only]

Instruction counts of the pricing loop alone (deterministic, whatever else the machine runs)::

    valgrind --tool=callgrind --callgrind-out-file=a.out .venv/bin/python bench/bench_pricing.py --n 2000
    valgrind --tool=callgrind --callgrind-out-file=b.out .venv/bin/python bench/bench_pricing.py --n 2000 --build-only
    # pricing instructions per session = (Ir of a - Ir of b) / 2000

No assertions on timing: this only reports numbers, next to the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roaming.tariffs.pricing import Interval, Timeline, parse_tariff, price_session

ZONE = "Europe/Amsterdam"
TARGET = 20_000  # sessions/s per core (issue 13)


def _c(kind: str, price: str, step: int = 1, vat: int | None = 21) -> dict:
    out = {"type": kind, "price": price, "step_size": step}
    if vat is not None:
        out["vat"] = vat
    return out


TARIFFS = {
    "simple_kwh": {"elements": [{"price_components": [_c("ENERGY", "0.35")]}]},
    "start_fee_kwh_max_price": {
        "max_price": {"excl_vat": 25, "incl_vat": "30.25"},
        "elements": [{"price_components": [_c("FLAT", "0.50"), _c("ENERGY", "0.29", 100)]}],
    },
    "min_price_kwh": {
        "min_price": {"excl_vat": "1.50", "incl_vat": "1.82"},
        "elements": [{"price_components": [_c("ENERGY", "0.31")]}],
    },
    "time_of_day": {
        "elements": [
            {"price_components": [_c("ENERGY", "0.45")], "restrictions": {"start_time": "17:00", "end_time": "21:00"}},
            {"price_components": [_c("ENERGY", "0.22")], "restrictions": {"start_time": "23:00", "end_time": "07:00"}},
            {"price_components": [_c("ENERGY", "0.32")]},
        ]
    },
    "parking_steps": {
        "elements": [
            {"price_components": [_c("FLAT", "0.35"), _c("ENERGY", "0.30", 10), _c("PARKING_TIME", "6.00", 900)]},
        ]
    },
    "time_and_idle_fee": {
        "elements": [
            {"price_components": [_c("TIME", "1.20", 60), _c("ENERGY", "0.25")]},
            {
                "price_components": [_c("PARKING_TIME", "0.00", 60)],
                "restrictions": {"max_duration": 4 * 3600},
            },
            {"price_components": [_c("PARKING_TIME", "9.00", 300)]},
        ]
    },
    "power_tiers": {
        "elements": [
            {"price_components": [_c("ENERGY", "0.30")], "restrictions": {"max_power": 22}},
            {"price_components": [_c("ENERGY", "0.55")], "restrictions": {"max_power": 100}},
            {"price_components": [_c("ENERGY", "0.69")]},
        ]
    },
    "complex": {
        "min_price": {"excl_vat": "2.00", "incl_vat": "2.42"},
        "max_price": {"excl_vat": "60.00", "incl_vat": "72.60"},
        "elements": [
            {"price_components": [_c("FLAT", "2.50", vat=15)]},
            {"price_components": [_c("TIME", "1.00", 900, 20)], "restrictions": {"max_current": 32}},
            {
                "price_components": [_c("TIME", "2.00", 600, 20)],
                "restrictions": {
                    "min_current": 32,
                    "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                },
            },
            {
                "price_components": [_c("TIME", "1.25", 600, 20)],
                "restrictions": {"min_current": 32, "day_of_week": ["SATURDAY", "SUNDAY"]},
            },
            {
                "price_components": [_c("ENERGY", "0.18", 1, 20)],
                "restrictions": {"start_time": "22:00", "end_time": "06:00", "min_kwh": 5},
            },
            {"price_components": [_c("ENERGY", "0.27", 1, 20)]},
            {
                "price_components": [_c("PARKING_TIME", "5.00", 300, 10)],
                "restrictions": {
                    "start_time": "09:00",
                    "end_time": "18:00",
                    "day_of_week": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
                },
            },
            {
                "price_components": [_c("PARKING_TIME", "6.00", 300, 10)],
                "restrictions": {"start_time": "10:00", "end_time": "17:00", "day_of_week": ["SATURDAY"]},
            },
        ],
    },
}


def build_tariffs():
    return {name: parse_tariff({"id": name, "currency": "EUR", **data}) for name, data in TARIFFS.items()}


def random_session(rng: random.Random) -> Timeline:
    """An AC or DC session starting at a random minute of 2024 (so DST days are included)."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=rng.randrange(366 * 24 * 60))
    dc = rng.random() < 0.35
    intervals = []
    cursor = start
    if dc:
        # Fast charge with a taper: three stages of falling power.
        energy = Decimal(rng.randint(15_000, 70_000)) / 1000
        for share, power in ((Decimal("0.6"), rng.choice([50, 120, 150])), (Decimal("0.3"), 40), (Decimal("0.1"), 15)):
            kwh = energy * share
            seconds = int(kwh / power * 3600) + 1
            amps = Decimal(power * 1000) / 400
            end = cursor + dt.timedelta(seconds=seconds)
            intervals.append(Interval(cursor, end, kwh, charging=True, power_kw=power, current_a=amps))
            cursor = end
    else:
        power = Decimal(rng.choice(["3.7", "7.4", "11", "22"]))
        amps = {Decimal("3.7"): 16, Decimal("7.4"): 32, Decimal("11"): 48, Decimal("22"): 96}[power]
        energy = Decimal(rng.randint(3_000, 45_000)) / 1000
        seconds = int(energy / power * 3600) + 1
        if rng.random() < 0.2:
            # A pause (EVSE throttled to 0 while the car still requests power) in the middle.
            half = seconds // 2
            mid = cursor + dt.timedelta(seconds=half)
            pause_end = mid + dt.timedelta(minutes=rng.randint(5, 40))
            intervals.append(Interval(cursor, mid, energy / 2, charging=True, power_kw=power, current_a=amps))
            intervals.append(Interval(mid, pause_end, 0, charging=True, power_kw=0, current_a=0))
            end = pause_end + dt.timedelta(seconds=seconds - half)
            intervals.append(Interval(pause_end, end, energy / 2, charging=True, power_kw=power, current_a=amps))
        else:
            end = cursor + dt.timedelta(seconds=seconds)
            intervals.append(Interval(cursor, end, energy, charging=True, power_kw=power, current_a=amps))
        cursor = end
    parking = dt.timedelta(minutes=rng.choice([0, 0, 5, 12, 30, 45, 90, 180, 600]))
    return Timeline.from_intervals(intervals, time_zone=ZONE, start=start, end=cursor + parking)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of sessions to price (default 100000)")
    parser.add_argument("--seed", type=int, default=2211)
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build the sessions without pricing them: under valgrind --tool=callgrind, a run's instruction count "
        "minus that of a --build-only run with the same --n is the pricing loop's, independent of machine load",
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    tariffs = build_tariffs()
    names = list(tariffs)

    t0 = time.perf_counter()
    jobs = [(tariffs[names[i % len(names)]], random_session(rng)) for i in range(args.n)]
    t1 = time.perf_counter()
    if args.build_only:
        print(f"sessions built: {args.n:,} in {t1 - t0:.2f} s (not priced)")
        return 0
    cpu1 = time.process_time()
    periods = Counter()
    total = Decimal(0)
    for tariff, timeline in jobs:
        result = price_session(tariff, timeline)
        periods[len(result.periods)] += 1
        total += result.total_cost.excl_vat
    t2 = time.perf_counter()
    cpu = time.process_time() - cpu1

    build, pricing = t1 - t0, t2 - t1
    print(f"tariffs: {', '.join(names)}")
    print(f"sessions: {args.n:,}   periods per session: {dict(sorted(periods.items()))}")
    print(f"average total_cost: EUR {total / max(args.n, 1):.2f} excl. VAT")
    print(f"timeline construction: {build:.2f} s ({args.n / build:,.0f} sessions/s)")
    print(f"pricing:               {pricing:.2f} s ({args.n / pricing:,.0f} sessions/s)")
    # CPU time of this single-threaded process: the per-core figure, steadier than wall time on a shared machine.
    print(f"pricing per core:      {args.n / cpu:,.0f} sessions/s of CPU time   (target: >= {TARGET:,} sessions/s)")
    print(f"end to end:            {args.n / (build + pricing):,.0f} sessions/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
