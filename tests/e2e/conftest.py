import os

import pytest

from tests.e2e.harness import Pair, register


@pytest.fixture(scope="session")
def pair():
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        pytest.fail("end-to-end tests need DATABASE_URL (PostgreSQL) and REDIS_URL: run them with `make test`")
    pair = Pair(database_url, redis_url)
    pair.start()
    yield pair
    pair.stop()


@pytest.fixture(scope="session")
def registered_pair(pair):
    """The pair with the eMSP registered at the CPO (the CPO invited it). Idempotent across test modules."""
    rows = pair.cpo.query("SELECT count(*) FROM partners_partner WHERE status = 'registered'")
    if rows[0][0] == 0:
        register(pair.emsp, pair.cpo)
    return pair
