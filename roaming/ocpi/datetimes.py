"""OCPI DateTime (types.asciidoc, DateTime): RFC 3339, always UTC.

Emit strictly (``YYYY-MM-DDTHH:MM:SSZ``), parse leniently: ``Z``, ``+00:00`` (any offset, converted to UTC; also
``+0100`` and ``+01``), no designator at all (means UTC, as types.asciidoc says), fractional seconds of any length
(``.`` or ISO 8601's ``,``), a space instead of ``T`` (py-ocpi sends ``2015-06-29 20:39:09+00:00``) and lower-case
``t``/``z`` (RFC 3339 5.6 allows them).
"""

import re
from datetime import UTC, datetime

from roaming.core.time import as_utc, utcnow

__all__ = ["format_datetime", "parse_datetime", "to_utc", "utcnow"]

_DT_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>[.,]\d+)?"
    r"(?P<tz>Z|z|[+ -]\d{2}(?::?\d{2})?)?$"
)


def format_datetime(value: datetime | None, *, milliseconds: bool = False) -> str | None:
    """UTC, second precision, ``Z`` designator: the form every peer parses. With ``milliseconds`` a value that has
    a fraction keeps it to the millisecond (types.asciidoc allows fractional seconds; priced periods need them)."""
    if value is None:
        return None
    value = as_utc(value)
    if milliseconds and value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """Parse an OCPI DateTime into an aware UTC datetime; raise ``ValueError`` with a readable reason."""
    if not isinstance(value, str):
        raise ValueError("expected a DateTime string such as 2024-01-31T12:00:00Z")
    match = _DT_RE.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not an RFC 3339 DateTime such as 2024-01-31T12:00:00Z")
    time = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
    frac = (match["frac"] or "").replace(",", ".")[:7]  # fromisoformat takes at most 6 digits
    # An unencoded "+" in a query string arrives as a space: "…09 00:00" means "…09+00:00".
    tz = (match["tz"] or "+00:00").replace(" ", "+")
    if tz in ("Z", "z"):
        tz = "+00:00"
    elif len(tz) == 3:  # "+01": whole hours
        tz = f"{tz}:00"
    elif ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    try:
        return datetime.fromisoformat(f"{match['date']}T{time}{frac}{tz}").astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        raise ValueError(f"'{value}' is outside the supported range of dates") from exc
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid date and time") from exc


def to_utc(value: str | datetime) -> datetime:
    """A DateTime as a partner sent it (parsed leniently) or a ``datetime`` already in hand, in UTC: for code that
    takes either, such as the pricing engine fed from JSON or from the database."""
    return as_utc(value) if isinstance(value, datetime) else parse_datetime(value)
