"""JSONField values written through our PostgreSQL backend (roaming/core/backends/postgresql/base.py
``_json_dumps``): orjson where it writes what ``json.dumps`` would, ``json.dumps`` for the rest."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from roaming.core.backends.postgresql.base import _json_dumps
from roaming.ocpi.models import TrafficLog

VALUES = [
    {"a": [1, 2.5, None, True, "é", {"b": []}]},
    {"big": 2**70, "small": -(2**63)},
    {1: "integer key"},
    [1e16, 0.1, 1.0],
]


@pytest.mark.parametrize("value", VALUES)
def test_the_same_json_value_as_json_dumps(value):
    assert json.loads(_json_dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [dt.datetime(2025, 1, 1, tzinfo=dt.UTC), Decimal("1.5"), {"at": dt.date(2025, 1, 1)}])
def test_what_json_dumps_refuses_is_refused(value):
    with pytest.raises(TypeError):
        _json_dumps(value)


@pytest.mark.django_db
@pytest.mark.parametrize("value", VALUES[:2])
def test_stored_and_read_back(value):
    entry = TrafficLog.objects.create(direction="IN", method="GET", url="https://x.example", request_headers=value)
    entry.refresh_from_db()
    assert entry.request_headers == value
