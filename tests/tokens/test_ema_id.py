"""eMA ID validation (roaming.tokens.ema_id): ISO 15118-1 Annex H check digits and the accepted spellings."""

import pytest

from roaming.tokens.ema_id import EmaIdError, ema_check_digit, ema_id_error, ema_id_parse

# Published check digit examples (ISO 15118-1 Annex H / eMI3 "Check Digit Calculation for Contract-IDs").
KNOWN = [
    ("NN123ABCDEFGHI", "T"),
    ("FRXYZ123456789", "2"),
    ("ITA1B2C3E4F5G6", "4"),
    ("ESZU8WOX834H1D", "R"),
    ("PT73902837ABCZ", "Z"),
    ("DE83DUIEN83QGZ", "D"),
    ("DE83DUIEN83ZGQ", "M"),
    ("DE8AA001234567", "0"),
    ("NLTNM000122045", "U"),
]


@pytest.mark.parametrize(("code", "digit"), KNOWN)
def test_check_digit_matches_published_examples(code, digit):
    assert ema_check_digit(code) == digit
    assert ema_check_digit(code.lower()) == digit


def test_separators_all_or_none_and_check_digit_optional():
    assert ema_id_parse("NL-TNM-000122045-U").compact == "NLTNM000122045U"
    assert ema_id_parse("nltnm000122045u").dashed == "NL-TNM-000122045-U"
    assert ema_id_parse("NL-TNM-000122045").check == "U"  # computed when absent
    assert ema_id_parse(" DE8ACC12E46L89 ").country == "DE"  # the spec's example (no check digit)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("NL-TNM-000122045-X", "'NL-TNM-000122045-X': the check digit is 'X', expected 'U'"),
        ("NLTNM000122045X", "'NLTNM000122045X': the check digit is 'X', expected 'U'"),
        ("NL-TNM000122045", "'NL-TNM000122045': use '-' between every part or no separator at all"),
        ("XX-TNM-000122045", "'XX' is not an ISO 3166 country code"),
        ("", "is empty"),
    ],
)
def test_errors_say_what_is_wrong(value, reason):
    with pytest.raises(EmaIdError) as exc:
        ema_id_parse(value)
    assert exc.value.reason == reason
    assert ema_id_error(value) == reason


def test_a_single_changed_character_or_swap_is_caught():
    good = "NLTNM000122045U"
    assert ema_id_error(good) is None
    assert ema_id_error("NLTNM000122054U") is not None  # adjacent transposition
    assert ema_id_error("NLTNM000122046U") is not None  # single error
    assert "is not an eMA ID" in ema_id_error("NL-TNM-0001")
