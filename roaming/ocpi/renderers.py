"""JSON in and out of OCPI views.

Inbound: stdlib ``json`` with ``parse_float=Decimal`` so prices and energy never pass through a float.
Outbound: orjson (a page of 1,000 locations renders several times faster than with stdlib json). A ``Decimal`` is
written as the shortest float repr of its value, which for OCPI's four decimals is the same digits as its text.

Hostile input gets a 400 envelope, never a crash: ``NaN``/``Infinity`` (not JSON, RFC 8259 §6), nesting deeper than
``OCPI_JSON_MAX_DEPTH``, lone UTF-16 surrogates (not Unicode scalar values: neither PostgreSQL nor a UTF-8 encoder
takes them) and a body over ``OCPI_REQUEST_BODY_LIMIT`` bytes (refused before it is read).
"""

import json
import re
from decimal import Decimal

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from roaming.ocpi.profile import SPEC_TOKEN_TYPE_FIELD, from_partner


def _default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value):
    """Replace lone surrogates (unencodable in UTF-8) with U+FFFD, everywhere in ``value``."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def dumps(data) -> bytes:
    try:
        return orjson.dumps(data, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # A message echoing a partner's unencodable text must still render: the envelope beats a 500.
        return orjson.dumps(_scrub(data), default=_default, option=_OPTIONS)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def loads(raw: bytes | str):
    """Parse JSON with Decimal numbers; ``NaN``/``Infinity`` and over-deep nesting raise ``ValueError``."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply")


def check_structure(value, *, max_depth: int) -> None:
    """Raise ``ValueError`` when ``value`` nests deeper than ``max_depth`` or holds a lone surrogate (iterative:
    checking depth must not itself recurse)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("a string holds a lone UTF-16 surrogate (not valid Unicode)")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise ValueError(f"the JSON is nested deeper than {max_depth} levels")
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        else:
            stack.extend((v, depth + 1) for v in item)


class OcpiJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


class OcpiJSONParser(BaseParser):
    """Accepts any Content-Type claiming JSON (and none at all): partners are sloppy with headers."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            raw = stream.read() if stream is not None else b""
        except RequestDataTooBig as exc:
            raise ParseError(str(exc))
        if not raw.strip():
            return None
        try:
            data = loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(str(exc))
        try:
            check_structure(data, max_depth=settings.OCPI_JSON_MAX_DEPTH)
        except ValueError as exc:
            raise ParseError(str(exc))
        # The partner profile: a caller whose bodies name a token's type differently (roaming.ocpi.profile).
        caller = getattr((parser_context or {}).get("request"), "_user", None)
        view = (parser_context or {}).get("view")
        field = getattr(caller, "token_type_field", SPEC_TOKEN_TYPE_FIELD)
        if field != SPEC_TOKEN_TYPE_FIELD:
            data = from_partner(data, module=getattr(view, "ocpi_module", ""), token_type_field=field)
        return data


class OcpiContentNegotiation(DefaultContentNegotiation):
    """OCPI speaks JSON only: answer JSON whatever ``Accept`` says, never DRF's 406 (which surfaced as a 500)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
