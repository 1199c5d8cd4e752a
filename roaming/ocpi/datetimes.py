"""OCPI DateTime (types.asciidoc, DateTime): RFC 3339, always UTC.

Emit strictly (``YYYY-MM-DDTHH:MM:SSZ``), parse leniently: ``Z``, ``+00:00`` (any offset, converted to UTC),
no designator at all (means UTC), and fractional seconds.
"""

import re
from datetime import UTC, datetime

_DT_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<frac>\.\d+)?(?P<tz>Z|z|[+ -]\d{2}:?\d{2})?$"
)


def format_datetime(value: datetime | None) -> str | None:
    """UTC, second precision, ``Z`` designator: the form every peer parses."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        # OverflowError: a valid local time outside datetime's range once in UTC (0001-01-01T00:00:00+01:00).
        return datetime.fromisoformat(f"{match['date']}T{time}{frac}{tz}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"'{value}' is not a valid date and time") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)
