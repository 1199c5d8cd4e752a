"""Token as OCPI 2.2.1 JSON (mod_tokens.asciidoc, "Token Object"): keys in the spec's order, optional fields left
out when empty, ``last_updated`` as ``YYYY-MM-DDTHH:MM:SSZ``.

``token_to_ocpi`` takes a ``Token`` or a ``values()`` row with the same keys, so the Sender list can render
100,000 tokens without building model instances.
"""

from roaming.ocpi.datetimes import format_datetime

#: the columns ``token_to_ocpi`` reads (``Token.objects.values(*TOKEN_COLUMNS)``)
TOKEN_COLUMNS = (
    "country_code",
    "party_id",
    "uid",
    "type",
    "contract_id",
    "visual_number",
    "issuer",
    "group_id",
    "valid",
    "whitelist",
    "language",
    "default_profile_type",
    "energy_contract",
    "last_updated",
)
_OPTIONAL = ("visual_number", "group_id", "language", "default_profile_type", "energy_contract")


def token_to_ocpi(token) -> dict:
    """Token object; ``token`` is a model instance or a dict with ``TOKEN_COLUMNS``."""
    get = token.get if isinstance(token, dict) else lambda name: getattr(token, name)
    data = {
        "country_code": get("country_code"),
        "party_id": get("party_id"),
        "uid": get("uid"),
        "type": get("type"),
        "contract_id": get("contract_id"),
    }
    if get("visual_number"):
        data["visual_number"] = get("visual_number")
    data["issuer"] = get("issuer")
    for name in ("group_id",):
        if get(name):
            data[name] = get(name)
    data["valid"] = get("valid")
    data["whitelist"] = get("whitelist")
    for name in _OPTIONAL[2:]:
        if get(name):
            data[name] = get(name)
    data["last_updated"] = format_datetime(get("last_updated"))
    return data
