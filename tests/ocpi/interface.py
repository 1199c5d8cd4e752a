"""The OCPI interface suite: what every module whose objects partners own must do, written once
(transport_and_format.asciidoc: Authorization, Response format, Pagination, Client Owned Object Push).

A module opts in from its tests with a subclass named ``Test...`` that declares its endpoints and a valid-body
factory (NetBox's generic API tests are the model)::

    class TestTariffsInterface(ReceiverInterface):
        module = "tariffs"
        receiver_url = "/ocpi/2.2.1/emsp/tariffs"
        sender_url = "/ocpi/2.2.1/cpo/tariffs"
        model = Tariff

        def valid_body(self, country_code, party_id, object_id, last_updated): ...
        def make_own(self, count, last_updated): ...

It then gets: 401 without or with a wrong token, token A refused, an envelope on every answer, party isolation
(another party's country_code/party_id refused, and a partner holding the same country_code/party_id under another
role refused), the stale PUT ignored, an invalid body answered 2001 naming the field and storing nothing, an unknown
object 404 with the module's status code, the Sender list's pagination headers, ``Link`` and date windows under a
query ceiling, and a property-based fuzz test of every declared receiver endpoint (``fuzz_targets``).
"""

import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import auth
from tests.partners.factories import registered_partner_with_token

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
EARLY = "2024-01-01T00:00:00Z"
LATER = "2024-06-01T00:00:00Z"

# Values a careless or hostile partner sends in place of a member's (issue 9, "Any input: an answer").
HOSTILE_VALUES = [
    None,
    0,
    -1,
    True,
    [],
    {},
    "",
    "x" * 5000,
    "NOT_AN_ENUM_VALUE",
    "2024-13-45T99:99:99Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
    "ctrl\x00\x01\x1f\x7f",
    "lone \ud800 surrogate",
    "\u202eRTL\ufeff",
    10**30,
    -(10**30),
    1e308,
    -1e308,
    3.14159265358979,
    [[[[[[[[[[]]]]]]]]]],
    {"a": {"b": {"c": {"d": {}}}}},
]


def dumps(value) -> str:
    """JSON text of a test body; Decimals (as our parser reads numbers) written as JSON numbers."""
    return json.dumps(value, default=float)


def envelope_ok(response) -> dict:
    """The answer is an OCPI envelope (transport_and_format.asciidoc, Response format), never HTML or a 5xx."""
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert isinstance(body["status_code"], int)
    assert TIMESTAMP.match(body["timestamp"])
    return body


def mutated_bodies(body: dict):
    """Hypothesis strategy: JSON texts derived from a valid ``body`` by one hostile change (a member dropped or
    replaced by a value of the wrong type, over-long, a bad enum or timestamp, control characters, huge or
    non-finite-looking numbers), a deep nesting, or a whole body that is not an object."""
    members = paths(body)

    @st.composite
    def strategy(draw):
        kind = draw(st.sampled_from(["drop", "replace", "replace", "deep", "whole"]), label="kind")
        if kind == "deep":
            return deeply_nested(body, draw(st.sampled_from([50, 300, 1000, 5000]), label="depth"))
        if kind == "whole":
            return dumps(draw(st.sampled_from(HOSTILE_VALUES), label="body"))
        path = draw(st.sampled_from(members), label="member")
        return dumps(mutate(body, path, kind, draw(st.sampled_from(HOSTILE_VALUES), label="value")))

    return strategy()


FUZZ_SETTINGS = {
    "deadline": None,
    "derandomize": True,  # the same examples on every run: CI stays reproducible and its time predictable
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


def paths(value, prefix=()) -> list[tuple]:
    """Every member path of a JSON value (dict keys and list indexes), outermost first."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found.extend(paths(item, (*prefix, index)))
    return found


def mutate(body, path: tuple, action: str, value):
    """A copy of ``body`` with the member at ``path`` dropped or replaced by ``value``."""
    body = copy.deepcopy(body)
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if action == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return body


def deeply_nested(body: dict, depth: int) -> str:
    """``body`` as JSON text with a member nested ``depth`` lists deep (json.dumps would recurse as deep)."""
    text = dumps(body)
    return text[:-1] + (", " if len(text) > 2 else "") + '"x_deep": ' + "[" * depth + "]" * depth + "}"


class ReceiverInterface:
    """Base of a module's interface test class; see the module docstring. Not collected itself (no ``Test``)."""

    module: str = ""
    receiver_url: str = ""
    sender_url: str | None = None
    owner_role: str = "CPO"
    model = None
    #: OCPI status code of an unknown object on the Receiver GET
    unknown_status: int = 2000
    #: upper bound of queries for one Sender list page
    list_query_ceiling: int = 10
    #: the receiver's methods that take a body; PUT creates
    write_methods: tuple[str, ...] = ("PUT",)
    fuzz_examples: int = 300  # ~6-9 s per module here; with credentials the fuzz stays well under a minute in CI

    def valid_body(self, country_code: str, party_id: str, object_id: str, last_updated: str) -> dict:
        raise NotImplementedError

    def make_own(self, count: int, last_updated: datetime) -> None:
        """``count`` of our own objects for the Sender list, all with ``last_updated``."""
        raise NotImplementedError

    def fuzz_targets(self, body: dict) -> list[tuple[str, str, dict]]:
        """(method, path under ``receiver_url``, valid body) of every receiver endpoint to fuzz, given the stored
        object's valid ``body`` (already PUT under ``BE/BEC/OBJ1``)."""
        return [("PUT", "BE/BEC/OBJ1", body)]

    # --- helpers ------------------------------------------------------------------------------------------------

    @pytest.fixture
    def owner(self, db):
        """A registered partner holding BE/BEC in the module's owner role, and its token."""
        return registered_partner_with_token(country_code="BE", party_id="BEC", role=self.owner_role)

    def call(self, client, method: str, path: str, body=None, *, token: str | None, raw: str | None = None):
        kwargs = auth(token) if token else {}
        if raw is not None:
            kwargs.update(data=raw, content_type="application/json")
        elif body is not None:
            kwargs.update(data=dumps(body), content_type="application/json")
        return getattr(client, method.lower())(f"{self.receiver_url}/{path}", **kwargs)

    def stored(self) -> list:
        """Everything stored for the module's objects, to compare before and after a refused request."""
        return sorted(self.model.objects.values_list("pk", "last_updated", "updated_at", "raw"), key=str)

    def other_role(self) -> str:
        return "EMSP" if self.owner_role == "CPO" else "CPO"

    # --- authorization (transport_and_format.asciidoc, Authorization) -------------------------------------------

    def test_401_without_or_with_a_wrong_token(self, client, owner):
        for token in (None, "not-a-token"):
            for method in ("GET", *self.write_methods):
                body = None if method in ("GET", "DELETE") else {}
                response = self.call(client, method, "BE/BEC/OBJ1", body, token=token)
                assert response.status_code == 401
                assert envelope_ok(response)["status_code"] == 2000

    def test_token_a_is_refused_outside_versions_and_credentials(self, client, db):
        from roaming.partners.services import partner_invite

        _, token_a = partner_invite(name="Invited")
        response = self.call(client, "GET", "BE/BEC/OBJ1", token=token_a)
        assert response.status_code == 401
        envelope_ok(response)
        if self.sender_url:
            assert client.get(self.sender_url, **auth(token_a)).status_code == 401

    # --- client owned objects -----------------------------------------------------------------------------------

    def test_put_creates_then_get_returns_it_with_an_envelope(self, client, owner):
        _, token = owner
        body = self.valid_body("BE", "BEC", "OBJ1", EARLY)
        created = self.call(client, "PUT", "BE/BEC/OBJ1", body, token=token)
        assert created.status_code == 201
        assert envelope_ok(created)["status_code"] == 1000
        assert "data" not in created.json()
        got = self.call(client, "GET", "be/bec/obj1", token=token)
        assert envelope_ok(got)["data"]["id"] == "OBJ1"
        assert self.model.objects.get().source_partner_id == owner[0].pk

    def test_another_partys_objects_are_refused(self, client, owner):
        _, token = owner
        _, other_token = registered_partner_with_token(country_code="NL", party_id="TNM", role=self.owner_role)
        body = self.valid_body("NL", "TNM", "OBJ1", EARLY)
        refused = self.call(client, "PUT", "NL/TNM/OBJ1", body, token=token)
        assert refused.status_code == 404
        assert envelope_ok(refused)["status_code"] == 2001
        assert not self.model.objects.exists()
        assert self.call(client, "PUT", "NL/TNM/OBJ1", body, token=other_token).status_code == 201
        assert self.call(client, "GET", "NL/TNM/OBJ1", token=token).status_code == 404

    def test_a_partner_holding_the_party_under_another_role_is_refused(self, client, owner):
        """Issue 9: a partner registered as eMSP for BE/BEC overwrote a CPO partner's BE/BEC object."""
        _, token = owner
        assert self.call(client, "PUT", "BE/BEC/OBJ1", self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token)
        before = self.stored()
        _, intruder = registered_partner_with_token(country_code="BE", party_id="BEC", role=self.other_role())

        hijack = self.call(client, "PUT", "BE/BEC/OBJ1", self.valid_body("BE", "BEC", "OBJ1", LATER), token=intruder)
        read = self.call(client, "GET", "BE/BEC/OBJ1", token=intruder)

        assert (hijack.status_code, envelope_ok(hijack)["status_code"]) == (404, 2001)
        assert f"as {self.owner_role}" in hijack.json()["status_message"]
        assert read.status_code == 404
        assert self.stored() == before

    def test_stale_put_is_acknowledged_and_ignored(self, client, owner):
        _, token = owner
        self.call(client, "PUT", "BE/BEC/OBJ1", self.valid_body("BE", "BEC", "OBJ1", LATER), token=token)
        before = self.stored()
        stale = self.call(client, "PUT", "BE/BEC/OBJ1", self.valid_body("BE", "BEC", "OBJ1", EARLY), token=token)
        assert (stale.status_code, envelope_ok(stale)["status_code"]) == (200, 1000)
        assert "ignored" in stale.json()["status_message"]
        assert self.stored() == before

    def test_an_invalid_body_is_2001_naming_the_field_and_stores_nothing(self, client, owner):
        _, token = owner
        body = self.valid_body("BE", "BEC", "OBJ1", EARLY)
        del body["last_updated"]
        response = self.call(client, "PUT", "BE/BEC/OBJ1", body, token=token)
        assert (response.status_code, envelope_ok(response)["status_code"]) == (200, 2001)
        assert response.json()["status_message"].startswith("last_updated:")
        assert "data" not in response.json()
        assert not self.model.objects.exists()

    def test_an_unknown_object_is_404_with_the_modules_status(self, client, owner):
        response = self.call(client, "GET", "BE/BEC/NOPE", token=owner[1])
        assert response.status_code == 404
        assert envelope_ok(response)["status_code"] == self.unknown_status

    # --- Sender list (transport_and_format.asciidoc, Pagination) ------------------------------------------------

    def test_sender_list_pages_with_headers_link_and_date_window(self, client, owner, django_assert_max_num_queries):
        if not self.sender_url:
            pytest.skip("no Sender interface")
        old, new = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
        self.make_own(3, old)
        self.make_own(2, new)
        _, token = owner
        with django_assert_max_num_queries(self.list_query_ceiling):
            first = client.get(self.sender_url, {"limit": 2}, **auth(token))
        assert len(envelope_ok(first)["data"]) == 2
        assert first["X-Total-Count"] == "5" and int(first["X-Limit"]) >= 2
        assert 'rel="next"' in first["Link"] and "offset=2" in first["Link"]
        window = {"date_from": (new - timedelta(days=1)).isoformat(), "date_to": (new + timedelta(days=1)).isoformat()}
        windowed = client.get(self.sender_url, window, **auth(token))
        assert len(envelope_ok(windowed)["data"]) == 2
        assert windowed["X-Total-Count"] == "2"

    # --- any input: an answer, never a crash (issue 9) ----------------------------------------------------------

    def test_fuzz_mutated_bodies_get_an_envelope_and_a_refusal_changes_nothing(self, client, owner):
        _, token = owner
        base = self.valid_body("BE", "BEC", "OBJ1", EARLY)
        assert self.call(client, "PUT", "BE/BEC/OBJ1", base, token=token).status_code == 201
        targets = self.fuzz_targets(base)

        @settings(max_examples=self.fuzz_examples, **FUZZ_SETTINGS)
        @given(data=st.data())
        def run(data):
            method, path, body = data.draw(st.sampled_from(targets), label="target")
            raw = data.draw(mutated_bodies(body), label="raw")
            before = self.stored()
            response = self.call(client, method, path, token=token, raw=raw)
            answer = envelope_ok(response)
            if answer["status_code"] != 1000:
                assert self.stored() == before, answer

        run()


class ActionInterface:
    """The suite for endpoints that take a POST and act, rather than store a partner's object (a command, the
    result posted to a command's ``response_url``). Not collected itself (no ``Test``).

    A module declares ``caller_role`` (the role a legitimate caller holds), ``targets(stub)`` (the (path, valid
    body) pairs, paths absolute), ``stored()`` (what a refused call must leave unchanged) and may extend
    ``prepare(caller)``. It gets: 401 without or with a wrong token, token A refused, an envelope on every answer,
    a method other than POST refused with an envelope, a body that is not an object or misses a required member
    answered 2001 naming the member and changing nothing, a caller without the role refused, and the fuzz.
    """

    caller_role: str = "EMSP"
    fuzz_examples: int = 150
    #: members of the valid bodies that may be left out
    optional_members: tuple[str, ...] = ()

    def targets(self, caller) -> list[tuple[str, dict]]:
        raise NotImplementedError

    def stored(self) -> list:
        raise NotImplementedError

    @pytest.fixture
    def caller(self, db):
        return registered_partner_with_token(country_code="BE", party_id="BEC", role=self.caller_role)

    def post(self, client, path: str, body=None, *, token: str | None, raw: str | None = None):
        kwargs = auth(token) if token else {}
        kwargs.update(data=raw if raw is not None else dumps(body if body is not None else {}))
        return client.post(path, content_type="application/json", **kwargs)

    def test_401_without_or_with_a_wrong_token(self, client, caller):
        for path, body in self.targets(caller):
            for token in (None, "not-a-token"):
                response = self.post(client, path, body, token=token)
                assert response.status_code == 401
                assert envelope_ok(response)["status_code"] == 2000

    def test_token_a_is_refused(self, client, caller):
        from roaming.partners.services import partner_invite

        _, token_a = partner_invite(name="Invited")
        for path, body in self.targets(caller):
            response = self.post(client, path, body, token=token_a)
            assert response.status_code == 401
            envelope_ok(response)

    def test_other_methods_get_an_envelope(self, client, caller):
        _, token = caller
        for path, _ in self.targets(caller):
            for method in ("get", "put", "patch", "delete"):
                response = getattr(client, method)(path, **auth(token))
                assert response.status_code == 405
                assert envelope_ok(response)["status_code"] == 2000

    def test_a_body_that_is_no_object_or_misses_a_member_is_2001_and_changes_nothing(self, client, caller):
        _, token = caller
        for path, body in self.targets(caller):
            before = self.stored()
            for bad in ([], "text", 42):
                answer = envelope_ok(self.post(client, path, bad, token=token))
                assert answer["status_code"] == 2001, answer
            for member in (m for m in body if m not in self.optional_members):
                answer = envelope_ok(
                    self.post(client, path, {k: v for k, v in body.items() if k != member}, token=token)
                )
                assert answer["status_code"] == 2001, (member, answer)
                assert answer["status_message"].startswith(f"{member}: "), answer
            not_json = self.post(client, path, token=token, raw="{not json")
            assert (not_json.status_code, envelope_ok(not_json)["status_code"]) == (400, 2001)
            assert self.stored() == before

    def test_a_caller_without_the_role_is_refused_and_nothing_changes(self, client, caller):
        _, token = registered_partner_with_token(
            country_code="FR", party_id="FRX", role="EMSP" if self.caller_role == "CPO" else "CPO"
        )
        for path, body in self.targets(caller):
            before = self.stored()
            answer = envelope_ok(self.post(client, path, body, token=token))
            assert answer["status_code"] != 1000, answer
            assert self.stored() == before

    def test_fuzz_mutated_bodies_get_an_envelope_and_a_refusal_changes_nothing(self, client, caller):
        _, token = caller
        targets = self.targets(caller)

        @settings(max_examples=self.fuzz_examples, **FUZZ_SETTINGS)
        @given(data=st.data())
        def run(data):
            path, body = data.draw(st.sampled_from(targets), label="target")
            raw = data.draw(mutated_bodies(body), label="raw")
            before = self.stored()
            answer = envelope_ok(self.post(client, path, token=token, raw=raw))
            if answer["status_code"] == 2001:
                assert self.stored() == before, answer

        run()
