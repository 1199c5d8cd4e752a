"""Fixtures of the locations tests: a registered CPO partner pushing as BE/BEC, the spec's JSON examples, and a
helper normalising OCPI JSON for round-trip comparisons."""

import copy
import json

import pytest

from tests.conftest import auth
from tests.data import OCPI_EXAMPLES
from tests.partners.factories import registered_partner_with_token

# The OCPI 2.2.1 examples (ocpi/ocpi@release-2.2.1-bugfixes examples/, CC BY-ND 4.0), kept unmodified next to the
# project; corrections live in the tests that need them.
EXAMPLES = OCPI_EXAMPLES

RECEIVER = "/ocpi/2.2.1/emsp/locations"
SENDER = "/ocpi/2.2.1/cpo/locations"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def cpo(db):
    """A registered CPO partner acting as BE/BEC, and its access token."""
    return registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")


@pytest.fixture
def push(client, cpo):
    """``push(method, path, body=None, token=None)`` against the Receiver interface as the CPO partner."""
    _, partner_token = cpo

    def _push(method: str, path: str, body=None, *, token: str | None = None):
        kwargs = auth(token or partner_token)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method.lower())(f"{RECEIVER}/{path.lstrip('/')}", **kwargs)

    return _push


def normalise(value):
    """OCPI JSON compared as data: no null / empty members (absent = null = [] per the spec's cardinalities), EVSEs
    sorted by uid and Connectors by id (order carries no meaning), keys unordered (dicts)."""
    if isinstance(value, dict):
        out = {k: normalise(v) for k, v in value.items() if v is not None and v != [] and v != ""}
        if "evses" in out:
            out["evses"] = sorted(out["evses"], key=lambda e: e["uid"])
        if "connectors" in out:
            out["connectors"] = sorted(out["connectors"], key=lambda c: c["id"])
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


@pytest.fixture
def location_example():
    """The spec's location_example.json (BE/BEC LOC1, EVSEs 3256 and 3257), a fresh copy per test."""
    return copy.deepcopy(example("location_example.json"))
