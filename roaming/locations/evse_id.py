"""EVSE ID syntax: ISO 15118-2 Annex H / eMI3 "Part 2: business objects" (ocpi-reference §7.1).

OCPI 2.2.1 (mod_locations.asciidoc, EVSE object, ``evse_id``) only says the EVSE ID must follow eMI3:

    <country: 2 ALPHA, ISO 3166-1 alpha-2> [*] <operator: 3 ALNUM> [*] E <outlet: 1 ALNUM, then 0-30 ALNUM or *>

* ``*`` separators are optional, the id is case-insensitive; we store it upper-case with the separators as given
  (at most 48 characters, the CiString(48) of the OCPI field).
* Two ids are the same EVSE when their comparison keys match: upper-case with every ``*`` removed
  (``BE*BEC*E041503003`` == ``bebece041503003``).
* eMI3 look-alikes with the type letter ``P`` (pool) or ``S`` (station) are not EVSE IDs.

Every failure carries a reason a person can act on, because the CSV import and the admin show it as is.

The module also holds the ISO 3166-1 country table (alpha-2 -> alpha-3): EVSE IDs use alpha-2, while
``Location.country`` is alpha-3, and the charger CSV may give either.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

EVSE_ID_MAX_LENGTH = 48
OUTLET_MAX_LENGTH = 31

# ISO 3166-1 officially assigned codes (249), alpha-2 -> alpha-3, as published by the ISO 3166 Maintenance Agency
# (taken from the Debian iso-codes data set). User-assigned codes (XK for Kosovo...) are not included.
ISO_3166_ALPHA2_TO_ALPHA3: dict[str, str] = {
    "AD": "AND",
    "AE": "ARE",
    "AF": "AFG",
    "AG": "ATG",
    "AI": "AIA",
    "AL": "ALB",
    "AM": "ARM",
    "AO": "AGO",
    "AQ": "ATA",
    "AR": "ARG",
    "AS": "ASM",
    "AT": "AUT",
    "AU": "AUS",
    "AW": "ABW",
    "AX": "ALA",
    "AZ": "AZE",
    "BA": "BIH",
    "BB": "BRB",
    "BD": "BGD",
    "BE": "BEL",
    "BF": "BFA",
    "BG": "BGR",
    "BH": "BHR",
    "BI": "BDI",
    "BJ": "BEN",
    "BL": "BLM",
    "BM": "BMU",
    "BN": "BRN",
    "BO": "BOL",
    "BQ": "BES",
    "BR": "BRA",
    "BS": "BHS",
    "BT": "BTN",
    "BV": "BVT",
    "BW": "BWA",
    "BY": "BLR",
    "BZ": "BLZ",
    "CA": "CAN",
    "CC": "CCK",
    "CD": "COD",
    "CF": "CAF",
    "CG": "COG",
    "CH": "CHE",
    "CI": "CIV",
    "CK": "COK",
    "CL": "CHL",
    "CM": "CMR",
    "CN": "CHN",
    "CO": "COL",
    "CR": "CRI",
    "CU": "CUB",
    "CV": "CPV",
    "CW": "CUW",
    "CX": "CXR",
    "CY": "CYP",
    "CZ": "CZE",
    "DE": "DEU",
    "DJ": "DJI",
    "DK": "DNK",
    "DM": "DMA",
    "DO": "DOM",
    "DZ": "DZA",
    "EC": "ECU",
    "EE": "EST",
    "EG": "EGY",
    "EH": "ESH",
    "ER": "ERI",
    "ES": "ESP",
    "ET": "ETH",
    "FI": "FIN",
    "FJ": "FJI",
    "FK": "FLK",
    "FM": "FSM",
    "FO": "FRO",
    "FR": "FRA",
    "GA": "GAB",
    "GB": "GBR",
    "GD": "GRD",
    "GE": "GEO",
    "GF": "GUF",
    "GG": "GGY",
    "GH": "GHA",
    "GI": "GIB",
    "GL": "GRL",
    "GM": "GMB",
    "GN": "GIN",
    "GP": "GLP",
    "GQ": "GNQ",
    "GR": "GRC",
    "GS": "SGS",
    "GT": "GTM",
    "GU": "GUM",
    "GW": "GNB",
    "GY": "GUY",
    "HK": "HKG",
    "HM": "HMD",
    "HN": "HND",
    "HR": "HRV",
    "HT": "HTI",
    "HU": "HUN",
    "ID": "IDN",
    "IE": "IRL",
    "IL": "ISR",
    "IM": "IMN",
    "IN": "IND",
    "IO": "IOT",
    "IQ": "IRQ",
    "IR": "IRN",
    "IS": "ISL",
    "IT": "ITA",
    "JE": "JEY",
    "JM": "JAM",
    "JO": "JOR",
    "JP": "JPN",
    "KE": "KEN",
    "KG": "KGZ",
    "KH": "KHM",
    "KI": "KIR",
    "KM": "COM",
    "KN": "KNA",
    "KP": "PRK",
    "KR": "KOR",
    "KW": "KWT",
    "KY": "CYM",
    "KZ": "KAZ",
    "LA": "LAO",
    "LB": "LBN",
    "LC": "LCA",
    "LI": "LIE",
    "LK": "LKA",
    "LR": "LBR",
    "LS": "LSO",
    "LT": "LTU",
    "LU": "LUX",
    "LV": "LVA",
    "LY": "LBY",
    "MA": "MAR",
    "MC": "MCO",
    "MD": "MDA",
    "ME": "MNE",
    "MF": "MAF",
    "MG": "MDG",
    "MH": "MHL",
    "MK": "MKD",
    "ML": "MLI",
    "MM": "MMR",
    "MN": "MNG",
    "MO": "MAC",
    "MP": "MNP",
    "MQ": "MTQ",
    "MR": "MRT",
    "MS": "MSR",
    "MT": "MLT",
    "MU": "MUS",
    "MV": "MDV",
    "MW": "MWI",
    "MX": "MEX",
    "MY": "MYS",
    "MZ": "MOZ",
    "NA": "NAM",
    "NC": "NCL",
    "NE": "NER",
    "NF": "NFK",
    "NG": "NGA",
    "NI": "NIC",
    "NL": "NLD",
    "NO": "NOR",
    "NP": "NPL",
    "NR": "NRU",
    "NU": "NIU",
    "NZ": "NZL",
    "OM": "OMN",
    "PA": "PAN",
    "PE": "PER",
    "PF": "PYF",
    "PG": "PNG",
    "PH": "PHL",
    "PK": "PAK",
    "PL": "POL",
    "PM": "SPM",
    "PN": "PCN",
    "PR": "PRI",
    "PS": "PSE",
    "PT": "PRT",
    "PW": "PLW",
    "PY": "PRY",
    "QA": "QAT",
    "RE": "REU",
    "RO": "ROU",
    "RS": "SRB",
    "RU": "RUS",
    "RW": "RWA",
    "SA": "SAU",
    "SB": "SLB",
    "SC": "SYC",
    "SD": "SDN",
    "SE": "SWE",
    "SG": "SGP",
    "SH": "SHN",
    "SI": "SVN",
    "SJ": "SJM",
    "SK": "SVK",
    "SL": "SLE",
    "SM": "SMR",
    "SN": "SEN",
    "SO": "SOM",
    "SR": "SUR",
    "SS": "SSD",
    "ST": "STP",
    "SV": "SLV",
    "SX": "SXM",
    "SY": "SYR",
    "SZ": "SWZ",
    "TC": "TCA",
    "TD": "TCD",
    "TF": "ATF",
    "TG": "TGO",
    "TH": "THA",
    "TJ": "TJK",
    "TK": "TKL",
    "TL": "TLS",
    "TM": "TKM",
    "TN": "TUN",
    "TO": "TON",
    "TR": "TUR",
    "TT": "TTO",
    "TV": "TUV",
    "TW": "TWN",
    "TZ": "TZA",
    "UA": "UKR",
    "UG": "UGA",
    "UM": "UMI",
    "US": "USA",
    "UY": "URY",
    "UZ": "UZB",
    "VA": "VAT",
    "VC": "VCT",
    "VE": "VEN",
    "VG": "VGB",
    "VI": "VIR",
    "VN": "VNM",
    "VU": "VUT",
    "WF": "WLF",
    "WS": "WSM",
    "YE": "YEM",
    "YT": "MYT",
    "ZA": "ZAF",
    "ZM": "ZMB",
    "ZW": "ZWE",
}
ISO_3166_ALPHA3_TO_ALPHA2: dict[str, str] = {a3: a2 for a2, a3 in ISO_3166_ALPHA2_TO_ALPHA3.items()}

_ALLOWED = re.compile(r"[A-Z0-9*]")
# Legacy DIN SPEC 91286 form (+49*810*000*438): Hubject still accepts it, OCPI 2.2.1 wants the ISO form.
_DIN = re.compile(r"^\+?[0-9]{1,3}\*[0-9]{3}\*[0-9*]{1,32}$")
_STRICT = re.compile(r"^(?P<country>[A-Z]{2})\*?(?P<operator>[A-Z0-9]{3})\*?E(?P<outlet>[A-Z0-9][A-Z0-9*]{0,30})$")


class EvseIdError(ValueError):
    """An EVSE ID that does not follow ISO 15118-2 / eMI3; ``reason`` says why, for a person to fix it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class EvseId:
    """A valid EVSE ID, split into its parts. ``value`` is the stored form, ``key`` the comparison key."""

    value: str
    country: str
    operator: str
    outlet: str

    @property
    def key(self) -> str:
        return evse_id_key(self.value)

    @property
    def country_alpha3(self) -> str:
        return ISO_3166_ALPHA2_TO_ALPHA3[self.country]


def evse_id_key(value: str) -> str:
    """The comparison key of an EVSE ID (valid or not): upper-case, without ``*`` and surrounding blanks."""
    return (value or "").strip().upper().replace("*", "")


def evse_id_parse(value: str) -> EvseId:
    """Validate an EVSE ID and return its parts; raise ``EvseIdError`` with the first thing that is wrong.

    Leading/trailing blanks are forgiven (spreadsheets add them); anything else that is not the ISO form is not.
    """
    text = (value or "").strip().upper()
    if not text:
        raise EvseIdError("is empty")
    if len(text) > EVSE_ID_MAX_LENGTH:
        raise EvseIdError(f"'{text}' is too long: {len(text)} characters, at most {EVSE_ID_MAX_LENGTH}")
    if _DIN.match(text):
        raise EvseIdError(
            f"'{text}' is a legacy DIN SPEC 91286 id; OCPI 2.2.1 needs the ISO 15118 form, such as DE*ABC*E123"
        )
    bad = sorted({c for c in text if not _ALLOWED.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise EvseIdError(f"'{text}' contains invalid characters {shown}: only letters, digits and '*' are allowed")

    country = text[:2]
    if not country.isalpha() or len(country) < 2:
        raise EvseIdError(f"'{text}' must start with a 2-letter ISO 3166-1 alpha-2 country code, got '{country}'")
    if country not in ISO_3166_ALPHA2_TO_ALPHA3:
        raise EvseIdError(f"country code '{country}' is not ISO 3166-1 alpha-2")

    rest = text[2:].removeprefix("*")
    operator = rest[:3]
    if len(operator) < 3 or "*" in operator:
        raise EvseIdError(f"operator id must be 3 letters or digits after the country code, got '{operator}'")

    rest = rest[3:].removeprefix("*")
    type_letter = rest[:1]
    if type_letter in ("P", "S"):
        kind = "pool" if type_letter == "P" else "station"
        raise EvseIdError(
            f"'{text}' is a {kind} id (type letter '{type_letter}'): 'P'/'S' ids are pools/stations, not EVSEs; "
            "an EVSE ID has 'E' after the operator id"
        )
    if type_letter != "E":
        raise EvseIdError(f"missing the 'E' type letter after the operator id '{country}*{operator}'")

    outlet = rest[1:]
    if not outlet:
        raise EvseIdError("missing the power outlet id after the 'E'")
    if outlet.startswith("*"):
        raise EvseIdError(f"the power outlet id must start with a letter or digit, got '{outlet}'")
    if len(outlet) > OUTLET_MAX_LENGTH:
        raise EvseIdError(
            f"the power outlet id '{outlet}' is too long: {len(outlet)} characters, at most {OUTLET_MAX_LENGTH}"
        )
    # The step-by-step checks above give the reasons; the spec's regex stays the final word.
    if not _STRICT.match(text):  # pragma: no cover - every mismatch is caught above with a better reason
        raise EvseIdError(f"'{text}' is not an ISO 15118 / eMI3 EVSE ID")
    return EvseId(value=text, country=country, operator=operator, outlet=outlet)


def evse_id_normalise(value: str) -> str:
    """The stored form of a valid EVSE ID (upper-case, separators kept); ``EvseIdError`` when invalid."""
    return evse_id_parse(value).value


def evse_id_error(value: str) -> str | None:
    """The reason ``value`` is not a valid EVSE ID, or ``None`` when it is."""
    try:
        evse_id_parse(value)
    except EvseIdError as exc:
        return exc.reason
    return None


def validate_evse_id(value: str) -> None:
    """Django validator (forms, admin)."""
    reason = evse_id_error(value)
    if reason:
        raise ValidationError(f"Not a valid EVSE ID: {reason}.", code="invalid_evse_id")


def country_alpha3(value: str) -> str:
    """ISO 3166-1 alpha-3 for an alpha-2 or alpha-3 code (any case); ``ValueError`` with a reason otherwise."""
    code = (value or "").strip().upper()
    if len(code) == 2:
        if code in ISO_3166_ALPHA2_TO_ALPHA3:
            return ISO_3166_ALPHA2_TO_ALPHA3[code]
        raise ValueError(f"country code '{code}' is not ISO 3166-1 alpha-2")
    if len(code) == 3:
        if code in ISO_3166_ALPHA3_TO_ALPHA2:
            return code
        raise ValueError(f"country code '{code}' is not ISO 3166-1 alpha-3")
    raise ValueError(f"'{code}' is not an ISO 3166-1 country code (2 or 3 letters, such as NL or NLD)")


def country_alpha2(value: str) -> str:
    """ISO 3166-1 alpha-2 for an alpha-2 or alpha-3 code; ``ValueError`` with a reason otherwise."""
    return ISO_3166_ALPHA3_TO_ALPHA2[country_alpha3(value)]
