"""Value parsing shared by the CSV import, the CSMS API and the admin: one parser per value kind (coordinates,
OCPI enums, whole numbers, booleans, time zones, tariff ids, URLs), each raising ``ValueError`` with a reason
people can act on."""

import difflib
import zoneinfo
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from roaming.locations.evse_id import (
    ISO_3166_ALPHA3_TO_ALPHA2,
    country_alpha3,
    evse_id_key,
)
from roaming.ocpi.fields import validate_cistring

# Tariff restrictions are evaluated in the location's local time, so a wrong zone misprices sessions: the report
# warns whenever this fallback is used.
FALLBACK_TIME_ZONE = "UTC"
# Countries spanning several IANA zones where one zone covers nearly everyone (zone.tab lists no "main" zone).
_MAIN_TIME_ZONE = {
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "NZ": "Pacific/Auckland",
    "PT": "Europe/Lisbon",
    "UA": "Europe/Kyiv",
}


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def geo_coordinate(value: str, *, axis: str) -> str:
    """An OCPI GeoLocation string (``-?[0-9]{1,2}\\.[0-9]{5,7}`` / ``-?[0-9]{1,3}\\.[0-9]{5,7}``) from a
    lenient decimal: fewer than 5 decimals are padded, more than 7 rounded (under 1 cm), a decimal comma is read
    as a point. ``ValueError`` when it is not a number or out of range."""
    text = str(value).strip().replace(",", ".")
    limit = 90 if axis == "latitude" else 180
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a decimal number of degrees such as 52.37403")
    if not number.is_finite() or "e" in text.lower():
        raise ValueError(f"'{value}' is not a decimal number of degrees such as 52.37403")
    if abs(number) > limit:
        raise ValueError(f"'{value}' is out of range: {axis} must be between -{limit} and {limit}")
    decimals = max(0, -number.as_tuple().exponent)
    if decimals < 5:
        number = number.quantize(Decimal("0.00001"))
    elif decimals > 7:
        number = number.quantize(Decimal("0.0000001"), rounding=ROUND_HALF_EVEN)
    formatted = format(number, "f")
    sign = "-" if formatted.startswith("-") else ""
    whole, _, fraction = formatted.lstrip("-").partition(".")
    # Leading zeros ("052.1") would break the regex's 1-2 (or 1-3) integer digits.
    return f"{sign}{whole.lstrip('0') or '0'}.{fraction}"


def enum_value(value: str, choices: type[models.TextChoices]) -> str:
    """The exact OCPI enum value for a case-insensitive match (``iec_62196_t2`` -> ``IEC_62196_T2``);
    ``ValueError`` naming the enum, and the closest value when there is one."""
    text = str(value).strip()
    by_upper = _enum_by_upper(choices)
    if text.upper() in by_upper:
        return by_upper[text.upper()]
    close = difflib.get_close_matches(text.upper(), list(by_upper), n=1, cutoff=0.6)
    hint = f"; did you mean {by_upper[close[0]]}?" if close else ""
    shown = ", ".join(choices.values) if len(choices.values) <= 10 else f"{', '.join(choices.values[:4])}, ..."
    raise ValueError(f"'{text}' is not an OCPI {choices.__name__} ({shown}){hint}")


@cache
def _enum_by_upper(choices: type[models.TextChoices]) -> dict[str, str]:
    return {v.upper(): v for v in choices.values}


def enum_list(value: str, choices: type[models.TextChoices]) -> list[str]:
    """``;``-separated enum values, normalised, duplicates dropped, order kept."""
    return list(dict.fromkeys(enum_value(part, choices) for part in value.split(";") if part.strip()))


def positive_int(value: str) -> int:
    text = str(value).strip()
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a whole number")
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"'{text}' is not a whole number")
    if number <= 0:
        raise ValueError(f"'{text}' must be greater than 0")
    return int(number)


def parse_bool(value: str) -> bool:
    text = str(value).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise ValueError(f"'{value}' is not true or false")


@cache
def _time_zones() -> dict[str, str]:
    return {name.upper(): name for name in zoneinfo.available_timezones()}


def time_zone_name(value: str) -> str:
    """The canonical IANA name for ``value`` (any case); ``ValueError`` when unknown."""
    text = str(value).strip()
    name = _time_zones().get(text.upper())
    if not name:
        raise ValueError(f"'{text}' is not an IANA time zone such as Europe/Amsterdam")
    return name


@cache
def _zones_by_country() -> dict[str, list[str]]:
    """zone.tab (from the tzdata package or the system's zoneinfo): alpha-2 -> its zones, most populous first."""
    text = None
    try:
        text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for base in zoneinfo.TZPATH:
            path = Path(base) / "zone.tab"
            if path.exists():
                text = path.read_text(encoding="utf-8")
                break
    zones: dict[str, list[str]] = defaultdict(list)
    for line in (text or "").splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                zones[parts[0]].append(parts[2])
    return dict(zones)


def default_time_zone(country: str) -> str | None:
    """The time zone of a country (alpha-2 or alpha-3) when it has one main zone; ``None`` when it spans several."""
    try:
        alpha2 = ISO_3166_ALPHA3_TO_ALPHA2[country_alpha3(country)]
    except ValueError:
        return None
    if alpha2 in _MAIN_TIME_ZONE:
        return _MAIN_TIME_ZONE[alpha2]
    zones = _zones_by_country().get(alpha2, [])
    return zones[0] if len(zones) == 1 else None


def evse_uid_derive(evse_id: str) -> str:
    """A stable uid for a new EVSE: its EVSE ID (CiString(36) fits most), else the ID without ``*``.

    OCPI wants a uid that never changes and is not a hardware serial: the EVSE ID is both. An EVSE ID can be
    up to 39 characters; without separators it is at most 37, so the last resort keeps the last 36 (the outlet
    part, which carries the uniqueness within our operator id).
    """
    if len(evse_id) <= 36:
        return evse_id
    key = evse_id_key(evse_id)
    return key if len(key) <= 36 else key[-36:]


def diff_values(obj: models.Model, values: dict) -> dict:
    """The subset of ``values`` that differs from ``obj`` (the fields an update would really change)."""
    return {name: value for name, value in values.items() if getattr(obj, name) != value}


def tariff_id_list(ids: list[str]) -> list[str]:
    """Tariff ids (CiString(36) each, types.asciidoc), duplicates dropped, order kept."""
    for tariff_id in ids:
        try:
            validate_cistring(tariff_id, 36)
        except ValidationError as exc:
            raise ValueError(f"'{_short(tariff_id)}': {exc.messages[0]}")
    return list(dict.fromkeys(ids))


def _tariff_ids(value: str) -> list[str]:
    return tariff_id_list([part.strip() for part in value.split(";") if part.strip()])


def _url(value: str) -> str:
    if len(value) > 255:
        raise ValueError(f"at most 255 characters allowed, got {len(value)}")
    try:
        URLValidator()(value)
    except ValidationError:
        raise ValueError(f"'{_short(value)}' is not a URL")
    return value
