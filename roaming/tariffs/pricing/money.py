"""Money helpers: the OCPI ``Price`` class, ISO 4217 minor units and rounding.

OCPI 2.2.1 ``types.asciidoc`` §Price: ``excl_vat`` is required, ``incl_vat`` optional. ``mod_tariffs.asciidoc``
§Tariff object (NOTE on rounding) deliberately leaves price rounding to law, contract and currency, so the rules
used here are our own (see ``roaming.tariffs.pricing.engine`` for where rounding happens): amounts are computed
exactly with :class:`decimal.Decimal` and only reported amounts are rounded half-up to the currency's minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)

# ISO 4217 minor-unit exponents that differ from the usual 2. Currencies not listed use 2 decimals.
_MINOR_UNITS: dict[str, int] = {
    # zero decimals
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three decimals
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # four decimals (accounting units)
    "CLF": 4,
    "UYW": 4,
}

_SYMBOLS: dict[str, str] = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF "}


def minor_units(currency: str) -> int:
    """Number of decimals of ``currency`` (ISO 4217 exponent); 2 for unknown codes."""
    return _MINOR_UNITS.get((currency or "").upper(), 2)


_SNAP = Decimal("1e-18")


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up (away from zero on ties) to the minor unit of ``currency``.

    The amount is first snapped to 18 decimals: hours are seconds / 3600, so a cost that is exactly on a tie
    (0.005) can arrive as 0.004999…9 after 28-digit Decimal division; snapping removes that residue so the tie
    rounds up as it should.
    """
    snapped = amount.quantize(_SNAP, rounding=ROUND_HALF_EVEN)
    return snapped.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """Convert a JSON number (int, float, str) to Decimal via ``str()`` so ``0.1`` stays ``0.1``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return Decimal(str(value))


def format_money(amount: Decimal, currency: str) -> str:
    """Human text such as ``€0.25`` or ``SEK 3.50``: at least the minor unit's decimals, more if the amount has them."""
    places = minor_units(currency)
    normalized = amount.normalize()
    exponent = normalized.as_tuple().exponent
    decimals = max(places, -exponent) if isinstance(exponent, int) else places
    text = f"{abs(amount):.{decimals}f}"
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get((currency or "").upper())
    if symbol is None:
        return f"{sign}{currency} {text}"
    return f"{sign}{symbol}{text}"


@dataclass(frozen=True, slots=True)
class Price:
    """OCPI ``Price`` (types.asciidoc §Price): ``excl_vat`` always, ``incl_vat`` ``None`` when unknown."""

    excl_vat: Decimal = ZERO
    incl_vat: Decimal | None = ZERO

    @classmethod
    def from_ocpi(cls, data: Any) -> Price | None:
        """Parse ``{"excl_vat": n, "incl_vat": n?}``; ``None`` for absent/invalid input (lenient)."""
        if not isinstance(data, dict) or data.get("excl_vat") is None:
            return None
        incl = data.get("incl_vat")
        return cls(to_decimal(data["excl_vat"]), None if incl is None else to_decimal(incl))

    def __add__(self, other: Price) -> Price:
        incl = None if self.incl_vat is None or other.incl_vat is None else self.incl_vat + other.incl_vat
        return Price(self.excl_vat + other.excl_vat, incl)

    def __sub__(self, other: Price) -> Price:
        incl = None if self.incl_vat is None or other.incl_vat is None else self.incl_vat - other.incl_vat
        return Price(self.excl_vat - other.excl_vat, incl)

    def rounded(self, currency: str) -> Price:
        """Both amounts rounded half-up to the currency's minor unit."""
        incl = None if self.incl_vat is None else round_money(self.incl_vat, currency)
        return Price(round_money(self.excl_vat, currency), incl)

    def to_ocpi(self) -> dict[str, Decimal]:
        """OCPI dict; ``incl_vat`` left out when unknown (it is optional in OCPI)."""
        out = {"excl_vat": self.excl_vat}
        if self.incl_vat is not None:
            out["incl_vat"] = self.incl_vat
        return out

    def as_strings(self) -> dict[str, str | None]:
        """``{"excl_vat": "1.23", "incl_vat": "1.48" | None}`` for JSON output without float artefacts."""
        return {
            "excl_vat": str(self.excl_vat),
            "incl_vat": None if self.incl_vat is None else str(self.incl_vat),
        }


def clamp(total: Price, min_price: Price | None, max_price: Price | None) -> tuple[Price, str | None]:
    """``total`` within ``min_price``/``max_price``, excl and incl VAT independently (rule 8 of
    :mod:`roaming.tariffs.pricing.engine`); the bounds that moved it, joined with "+", or None."""
    excl, incl = total.excl_vat, total.incl_vat
    reasons: list[str] = []
    for bound, name, wants in ((min_price, "min_price", max), (max_price, "max_price", min)):
        if bound is None:
            continue
        new_excl = wants(excl, bound.excl_vat)
        if incl is not None:
            if bound.incl_vat is not None:
                new_incl = wants(incl, bound.incl_vat)
            elif new_excl != excl:
                new_incl = incl * new_excl / excl if excl else None
            else:
                new_incl = incl
        else:
            new_incl = None
        if new_excl != excl or new_incl != incl:
            reasons.append(name)
        excl, incl = new_excl, new_incl
    return Price(excl, incl), ("+".join(reasons) or None)
