"""eMA IDs (contract ids) as ISO 15118-1 Annex H and eMI3 define them, e.g. ``NL-ABC-C12345678-X``.

Form: country code (2 letters), provider id (3 letters or digits), eMA instance (9 letters or digits; eMI3 makes the
first one the ID type ``C``), optional check digit; written with ``-`` between every part or with no separator at
all. OCPI 2.2.1 recommends it for Token ``contract_id`` (mod_tokens.asciidoc, Token object) without requiring it, so
our own tokens are validated and partners' tokens are stored as sent.

The check digit is the one of ISO 15118-1 Annex H: every character maps to a 2x2 matrix (two bits and two digits
base 3); the first row is weighted by powers of P1 = [[0,1],[1,1]] over GF(2), the second by powers of
P2 = [[0,1],[1,2]] over GF(3); the resulting matrix decodes back to one character. It detects any single error,
adjacent and jump transpositions, and twin errors.
"""

import re
from dataclasses import dataclass

from roaming.locations.evse_id import ISO_3166_ALPHA2_TO_ALPHA3

EMA_ID_RE = re.compile(r"(?P<country>[A-Z]{2})(?P<provider>[A-Z0-9]{3})(?P<instance>[A-Z0-9]{9})(?P<check>[A-Z0-9])?")
EMA_ID_DASHED_RE = re.compile(
    r"(?P<country>[A-Z]{2})-(?P<provider>[A-Z0-9]{3})-(?P<instance>[A-Z0-9]{9})(-(?P<check>[A-Z0-9]))?"
)

# Character -> (q11, q12, q21, q22): q11/q12 bits, q21/q22 base-3 digits (ISO 15118-1, Table H.1).
_ENCODING: dict[str, tuple[int, int, int, int]] = {}
for _char, _code in zip(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    (0, 16, 32, 4, 20, 36, 8, 24, 40, 2, 18, 34, 6, 22, 38, 10, 26, 42, 1, 17, 33, 5, 21, 37, 9, 25, 41, 3, 19, 35, 7,
     23, 39, 11, 27, 43),
    strict=True,
):  # fmt: skip
    _ENCODING[_char] = (_code & 1, (_code >> 1) & 1, (_code >> 2) & 3, _code >> 4)
_DECODING = {value: char for char, value in _ENCODING.items()}


def _mul(a: tuple, b: tuple) -> tuple:
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
    )


def _powers(matrix: tuple, count: int) -> list[tuple]:
    powers, current = [], matrix
    for _ in range(count):
        powers.append(current)
        current = _mul(current, matrix)
    return powers


_P1 = _powers((0, 1, 1, 1), 14)
_P2 = _powers((0, 1, 1, 2), 14)
_NEG_P2_MINUS_15 = (0, 2, 2, 1)  # -P2^-15 over GF(3)


class EmaIdError(ValueError):
    """A contract id that is not an eMA ID; ``reason`` says why, for a person to fix it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class EmaId:
    country: str
    provider: str
    instance: str
    check: str

    @property
    def compact(self) -> str:
        """The 15-character form without separators, check digit included (what ISO 15118-2 carries)."""
        return f"{self.country}{self.provider}{self.instance}{self.check}"

    @property
    def dashed(self) -> str:
        return f"{self.country}-{self.provider}-{self.instance}-{self.check}"


def _contributions() -> list[dict[str, tuple[int, int, int, int]]]:
    """Per position and character, its terms of the two weighted sums (precomputed: the check is a table lookup)."""
    table = []
    for p1, p2 in zip(_P1, _P2, strict=True):
        table.append(
            {
                char: (q11 * p1[0] + q12 * p1[2], q11 * p1[1] + q12 * p1[3], q21 * p2[0] + q22 * p2[2],
                       q21 * p2[1] + q22 * p2[3])
                for char, (q11, q12, q21, q22) in _ENCODING.items()
            }
        )  # fmt: skip
    return table


_TERMS = _contributions()


def ema_check_digit(code: str) -> str:
    """The ISO 15118-1 Annex H check digit of the 14 characters ``code`` (no separators, any case)."""
    code = code.upper()
    if len(code) != 14 or any(c not in _ENCODING for c in code):
        raise EmaIdError(f"'{code}' is not 14 letters and digits")
    a = b = c = d = 0
    for terms, char in zip(_TERMS, code, strict=True):
        ta, tb, tc, td = terms[char]
        a, b, c, d = a + ta, b + tb, c + tc, d + td
    n = _NEG_P2_MINUS_15
    r21, r22 = c * n[0] + d * n[2], c * n[1] + d * n[3]
    return _DECODING[(a & 1, b & 1, r21 % 3, r22 % 3)]


def ema_id_parse(value: str) -> EmaId:
    """Validate an eMA ID and return its parts (check digit computed when absent); raise ``EmaIdError`` with the
    first thing that is wrong. Case and surrounding blanks are forgiven."""
    text = (value or "").strip().upper()
    if not text:
        raise EmaIdError("is empty")
    match = (EMA_ID_DASHED_RE if "-" in text else EMA_ID_RE).fullmatch(text)
    if match is None:
        if "-" in text and re.fullmatch(r"[A-Z0-9]{2}-?[A-Z0-9]{3}-?[A-Z0-9]{9}-?[A-Z0-9]?", text):
            raise EmaIdError(f"'{text}': use '-' between every part or no separator at all")
        raise EmaIdError(
            f"'{text}' is not an eMA ID such as NL-ABC-C12345678-X: country code, 3-character provider id, "
            "9-character instance, optional check digit"
        )
    if match["country"] not in ISO_3166_ALPHA2_TO_ALPHA3:
        raise EmaIdError(f"'{match['country']}' is not an ISO 3166 country code")
    expected = ema_check_digit(match["country"] + match["provider"] + match["instance"])
    if match["check"] and match["check"] != expected:
        raise EmaIdError(f"'{text}': the check digit is '{match['check']}', expected '{expected}'")
    return EmaId(match["country"], match["provider"], match["instance"], expected)


def ema_id_error(value: str) -> str | None:
    """Why ``value`` is not an eMA ID, or None."""
    try:
        ema_id_parse(value)
    except EmaIdError as exc:
        return exc.reason
    return None
