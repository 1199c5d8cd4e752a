"""Locations at partner scale: a partner's full pull over HTTP vs. PostgreSQL producing the same JSON, and the
pull engine ingesting the data set from a peer instance.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/roaming REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bench_locations.py [--sizes 1000 10000 50000]

It starts the two-instance pair of the end-to-end tests (CPO and eMSP, granian + Celery each, own databases),
registers them through the real handshake, seeds N own locations (3 EVSEs x 2 connectors each) at the CPO, then
for each N prints:

* http_s      a full pull of GET /ocpi/2.2.1/cpo/locations (limit 1000, following Link) by one client;
* json_agg_s  PostgreSQL building the same nested JSON with json_agg (the floor for any implementation);
* ratio       http_s / json_agg_s: the figure we track;
* ingest_s    the eMSP's pull engine (sync_partner --full) fetching and upserting everything from the CPO.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loadgen import http_pull  # noqa: E402

from tests.e2e.harness import Pair, register  # noqa: E402

SEED = """
import datetime
from django.db import transaction
from django.utils import timezone
from roaming.locations.models import Location, EVSE, Connector
N = {n}
now = timezone.now().replace(microsecond=0)
Location.objects.filter(source_partner__isnull=True).delete()
with transaction.atomic():
    for start in range(0, N, 2000):
        locs = Location.objects.bulk_create([
            Location(country_code="NL", party_id="CPO", location_id=f"LOC{{i:06d}}", name=f"Site {{i}}",
                     address=f"Street {{i}}", city="Amsterdam", postal_code="1000AA", country="NLD",
                     latitude="52.37000", longitude="4.89000", time_zone="Europe/Amsterdam", last_updated=now,
                     facilities=["CAFE"], opening_times={{"twentyfourseven": True}})
            for i in range(start, min(N, start + 2000))
        ])
        evses = EVSE.objects.bulk_create([
            EVSE(location=l, uid=f"{{l.location_id}}-E{{j}}", evse_id=f"NL*CPO*E{{l.location_id[3:]}}*{{j}}",
                 status="AVAILABLE", capabilities=["RFID_READER"], last_updated=now)
            for l in locs for j in range(1, 4)
        ])
        Connector.objects.bulk_create([
            Connector(evse=e, connector_id=str(k), standard="IEC_62196_T2", format="SOCKET", power_type="AC_3_PHASE",
                      max_voltage=230, max_amperage=32, tariff_ids=["T1"], last_updated=now)
            for e in evses for k in (1, 2)
        ])
print(Location.objects.filter(source_partner__isnull=True).count())
"""

JSON_AGG = """
SELECT json_agg(json_build_object(
  'country_code', l.country_code, 'party_id', l.party_id, 'id', l.location_id, 'publish', l.publish,
  'name', l.name, 'address', l.address, 'city', l.city, 'postal_code', l.postal_code, 'country', l.country,
  'coordinates', json_build_object('latitude', l.latitude, 'longitude', l.longitude),
  'evses', (SELECT json_agg(json_build_object(
      'uid', e.uid, 'evse_id', e.evse_id, 'status', e.status, 'capabilities', e.capabilities,
      'connectors', (SELECT json_agg(json_build_object(
          'id', c.connector_id, 'standard', c.standard, 'format', c.format, 'power_type', c.power_type,
          'max_voltage', c.max_voltage, 'max_amperage', c.max_amperage, 'tariff_ids', c.tariff_ids,
          'last_updated', to_char(c.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY c.id)
        FROM locations_connector c WHERE c.evse_id = e.id),
      'last_updated', to_char(e.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY e.id)
    FROM locations_evse e WHERE e.location_id = l.id),
  'facilities', l.facilities, 'time_zone', l.time_zone, 'opening_times', l.opening_times,
  'last_updated', to_char(l.last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY l.id)::text
FROM locations_location l WHERE l.source_partner_id IS NULL
"""


def json_agg(database_url: str) -> tuple[float, int]:
    with psycopg.connect(database_url) as conn:
        started = time.perf_counter()
        text = conn.execute(JSON_AGG).fetchone()[0]
        return time.perf_counter() - started, len(text or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roaming")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    pair = Pair(database_url, redis_url)
    pair.start()
    try:
        register(pair.emsp, pair.cpo)
        token = (
            pair.emsp.shell(
                "from roaming.partners.models import Partner\n"
                "print(Partner.objects.get(status='registered').their_token)"
            )
            .strip()
            .splitlines()[-1]
        )
        url = f"{pair.cpo.base_url}/ocpi/2.2.1/cpo/locations"
        print(f"{'N':>7} {'http_s':>8} {'objects':>8} {'MB':>7} {'json_agg_s':>10} {'ratio':>6} {'ingest_s':>9}")
        for n in args.sizes:
            seeded = int(pair.cpo.shell(SEED.format(n=n)).strip().splitlines()[-1])
            assert seeded == n, seeded
            http_s, count, size = http_pull(url, token)
            agg_s, _ = json_agg(pair.cpo.database_url)
            pair.emsp.shell("from roaming.locations.models import Location\nLocation.objects.all().delete()")
            started = time.perf_counter()
            pair.emsp.manage("sync_partner", "NL/CPO", "--module", "locations", "--full", timeout=3600)
            ingest_s = time.perf_counter() - started
            print(
                f"{n:>7} {http_s:>8.2f} {count:>8} {size / 1e6:>7.1f} {agg_s:>10.2f} {http_s / agg_s:>6.1f} "
                f"{ingest_s:>9.2f}",
                flush=True,
            )
    finally:
        pair.stop()


if __name__ == "__main__":
    main()
