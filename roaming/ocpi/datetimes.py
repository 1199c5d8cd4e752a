"""OCPI DateTime (types.asciidoc, DateTime): RFC 3339, always UTC.

Emit strictly (``YYYY-MM-DDTHH:MM:SSZ``), parse leniently: ``Z``, ``+00:00`` (any offset, converted to UTC),
no designator at all (means UTC), and fractional seconds.
"""

import re
from datetime import UTC, datetime

from roaming.core.time import as_utc, utcnow

__all__ = ["format_datetime", "parse_datetime", "to_utc", "utcnow"]

_DT_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>\.\d+)?(?P<tz>Z|z|[+ -]\d{2}:?\d{2})?$"
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
    frac = (match["frac"] or "")[:7]  # fromisoformat takes at most 6 digits
    frac = frac[:7] if len(frac) <= 7 else frac
    # An unencoded "+" in a query string arrives as a space: "…09 00:00" means "…09+00:00".
    tz = (match["tz"] or "+00:00").replace(" ", "+")
    if tz in ("Z", "z"):
        tz = "+00:00"
    elif ":" not in tz:
        tz = f"{tz[:3]}:{tz[3:]}"
    try:
        parsed = datetime.fromisoformat(f"{match['date']}T{time}{frac}{tz}")
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid date and time") from exc
    return parsed.astimezone(UTC)


def to_utc(value: str | datetime) -> datetime:
    """A DateTime as a partner sent it (parsed leniently) or a ``datetime`` already in hand, in UTC: for code that
    takes either, such as the pricing engine fed from JSON or from the database."""
    return as_utc(value) if isinstance(value, datetime) else parse_datetime(value)
