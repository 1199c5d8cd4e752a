"""The glue py-ocpi 0.3.1 needs to run as a real peer: an in-memory CRUD, an adapter and an authenticator.

Runs in py-ocpi's own virtualenv (FastAPI 0.68, pydantic 1), never imported by the test suite:

    python pyocpi_peer.py --role CPO --port 8123 --token-a TOKEN_A [--seed seed.json]

py-ocpi is a library: a deployment supplies ``Crud`` (storage and token checks) and ``Adapter`` (storage to OCPI
schema). This glue is the smallest honest deployment: objects in dicts, py-ocpi's own pydantic schemas for output,
tokens checked on every call. Two deployment choices are ours, not py-ocpi behaviour under test:

* py-ocpi hard-codes ``https://{OCPI_HOST}`` in the versions and endpoints it publishes (it expects a TLS proxy in
  front); there is no TLS on loopback, so the glue publishes the same URLs with ``http://``.
* its version details ask the CRUD for the *client's* token (``GetClientToken``, role None) and answer 401 when
  there is none, which would refuse token A before registration; the CRUD answers "known token" for role None and
  "registered client" for a role, the two readings py-ocpi's own handlers need.
"""

import argparse
import json
import secrets
import sys

import uvicorn
from py_ocpi import get_application
from py_ocpi.core.dependencies import get_endpoints, get_versions
from py_ocpi.core.endpoints import ENDPOINTS
from py_ocpi.core.enums import Action, ModuleID, RoleEnum
from py_ocpi.core.exceptions import AuthorizationOCPIError
from py_ocpi.modules.credentials.v_2_2_1.schemas import Credentials
from py_ocpi.modules.locations.v_2_2_1.schemas import Location
from py_ocpi.modules.tariffs.v_2_2_1.schemas import Tariff
from py_ocpi.modules.versions.enums import VersionNumber


class Store:
    tokens: dict = {}  # token we issued -> {"kind": "A" | "C", "client": their credentials or None}
    objects: dict = {}  # module -> {(cc, pid, id): dict}
    role: str = "CPO"
    base: str = ""


def _check(auth_token):
    record = Store.tokens.get(auth_token)
    if record is None or (record["kind"] == "A"):
        raise AuthorizationOCPIError("unknown token")
    return record


def _key(data_or_id, kwargs):
    if isinstance(data_or_id, dict):
        return (str(data_or_id["country_code"]).upper(), str(data_or_id["party_id"]).upper(), str(data_or_id["id"]))
    return (str(kwargs.get("country_code", "")).upper(), str(kwargs.get("party_id", "")).upper(), str(data_or_id))


def _last_updated(obj) -> str:
    return str(obj.get("last_updated") or "").replace(" ", "T")


class Crud:
    @classmethod
    async def get(cls, module, role, id, *args, auth_token=None, **kwargs):
        if module == ModuleID.credentials_and_registration:
            record = Store.tokens.get(auth_token)
            return record if record and record["kind"] == "C" else None
        _check(auth_token)
        items = Store.objects.get(module.value, {})
        if "country_code" in kwargs:
            found = items.get(_key(id, kwargs))
        else:  # a Sender GET by id only: our own objects
            found = next((v for (_, _, i), v in items.items() if i.lower() == str(id).lower()), None)
        return found  # None when absent: py-ocpi's receiver PUT asks get() first to choose create or update

    @classmethod
    async def list(cls, module, role, filters, *args, auth_token=None, **kwargs):
        _check(auth_token)
        items = sorted(Store.objects.get(module.value, {}).values(), key=lambda o: (_last_updated(o), o["id"]))
        # Honour the window as the spec says (date_from inclusive, date_to exclusive), like any real storage layer.
        if filters.get("date_from"):
            start = filters["date_from"].isoformat()[:19]
            items = [o for o in items if _last_updated(o)[:19] >= start]
        if filters.get("date_to"):
            end = filters["date_to"].isoformat()[:19]
            items = [o for o in items if _last_updated(o)[:19] < end]
        offset, limit = filters["offset"], filters["limit"]
        page = items[offset : offset + limit]
        return page, len(items), offset + limit >= len(items)

    @classmethod
    async def create(cls, module, role, data, *args, auth_token=None, **kwargs):
        # py-ocpi's locations receiver passes the token positionally on create (its other handlers use a keyword).
        auth_token = auth_token or (args[0] if args else None)
        if module == ModuleID.credentials_and_registration:
            Store.tokens.pop(auth_token, None)  # token A dies
            token_c = secrets.token_urlsafe(24)
            Store.tokens[token_c] = {"kind": "C", "client": data["credentials"], "endpoints": data["endpoints"]}
            return {"token": token_c}
        _check(auth_token)
        Store.objects.setdefault(module.value, {})[_key(data, kwargs)] = data
        return data

    @classmethod
    async def update(cls, module, role, data, id, *args, auth_token=None, **kwargs):
        if module == ModuleID.credentials_and_registration:
            record = Store.tokens.pop(auth_token)
            token_c = secrets.token_urlsafe(24)
            Store.tokens[token_c] = {**record, "client": data["credentials"], "endpoints": data["endpoints"]}
            return {"token": token_c}
        return await cls.create(module, role, data, auth_token=auth_token, **kwargs)

    @classmethod
    async def delete(cls, module, role, id, *args, auth_token=None, **kwargs):
        if module == ModuleID.credentials_and_registration:
            Store.tokens.pop(auth_token, None)
            return
        _check(auth_token)
        Store.objects.get(module.value, {}).pop(_key(id, kwargs), None)

    @classmethod
    async def do(cls, module, role, action, *args, data=None, auth_token=None, **kwargs):
        if action == Action.get_client_token:
            record = Store.tokens.get(auth_token)
            if role is None:  # version details: any token we issued
                return record
            return record["client"]["token"] if record and record["kind"] == "C" else None
        return None


class Adapter:
    @classmethod
    def credentials_adapter(cls, data, version=VersionNumber.latest):
        return Credentials(
            token=data["token"],
            url=f"{Store.base}/ocpi/versions",
            roles=[
                {
                    "role": Store.role,
                    "business_details": {"name": f"py-ocpi {Store.role}"},
                    "party_id": "PYO",
                    "country_code": "DE",
                }
            ],
        )

    @classmethod
    def location_adapter(cls, data, version=VersionNumber.latest):
        return Location(**data)

    @classmethod
    def tariff_adapter(cls, data, version=VersionNumber.latest):
        return Tariff(**data)


def build(role: str, port: int, token_a: str, seed: dict):
    Store.role, Store.base = role, f"http://127.0.0.1:{port}"
    Store.tokens = {token_a: {"kind": "A", "client": None}}
    Store.objects = {module: {_key(o, {}): o for o in objects} for module, objects in seed.items()}
    role_enum = RoleEnum.cpo if role == "CPO" else RoleEnum.emsp
    app = get_application(version_numbers=[VersionNumber.v_2_2_1], roles=[role_enum], crud=Crud, adapter=Adapter)
    versions = [{"version": "2.2.1", "url": f"{Store.base}/ocpi/2.2.1/details"}]
    endpoints = {
        VersionNumber.v_2_2_1: [
            {**e.dict(), "url": e.url.replace("https://", "http://", 1)}
            for e in ENDPOINTS[VersionNumber.v_2_2_1][role_enum]
        ]
    }
    app.dependency_overrides[get_versions] = lambda: versions
    app.dependency_overrides[get_endpoints] = lambda: endpoints
    return app


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["CPO", "EMSP"], required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-a", required=True)
    parser.add_argument("--seed", help="JSON file: {module: [objects]}")
    args = parser.parse_args(argv)
    seed = {}
    if args.seed:
        with open(args.seed) as handle:
            seed = json.load(handle)
    app = build(args.role, args.port, args.token_a, seed)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    sys.exit(main())
