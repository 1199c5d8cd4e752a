"""EVSE ID syntax (ISO 15118-2 / eMI3, ocpi-reference §7.1) and the ISO 3166-1 country table."""

import pytest
from django.core.exceptions import ValidationError

from roaming.locations.evse_id import (
    ISO_3166_ALPHA2_TO_ALPHA3,
    ISO_3166_ALPHA3_TO_ALPHA2,
    EvseIdError,
    country_alpha2,
    country_alpha3,
    evse_id_error,
    evse_id_key,
    evse_id_normalise,
    evse_id_parse,
    validate_evse_id,
)


@pytest.mark.parametrize(
    "value",
    ["BE*BEC*E041503003", "DE*ICE*E45B*78C", "CH*ION*E213604", "BEBECE041503003", "NL*EXA*E1", "DE*ICEE123"],
)
def test_reference_examples_are_valid(value):
    assert evse_id_error(value) is None


def test_parse_splits_the_parts():
    parsed = evse_id_parse("de*ice*e45b*78c")

    assert (parsed.value, parsed.country, parsed.operator, parsed.outlet) == ("DE*ICE*E45B*78C", "DE", "ICE", "45B*78C")
    assert parsed.country_alpha3 == "DEU"


def test_normalise_upper_cases_and_keeps_separators():
    assert evse_id_normalise("  nl*exa*e0001 ") == "NL*EXA*E0001"


def test_key_ignores_case_and_separators():
    assert evse_id_key("BE*BEC*E041503003") == evse_id_key("bebece041503003") == "BEBECE041503003"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is empty"),
        ("XX*ABC*E1", "country code 'XX' is not ISO 3166-1 alpha-2"),
        ("D1*ABC*E1", "must start with a 2-letter ISO 3166-1 alpha-2 country code"),
        ("NL*AB*E1", "operator id must be 3 letters or digits"),
        ("NL*ABC*1234", "missing the 'E' type letter after the operator id"),
        ("NL*ABC*P1234", "'P'/'S' ids are pools/stations, not EVSEs"),
        ("NL*ABC*S1234", "'P'/'S' ids are pools/stations, not EVSEs"),
        ("NL*ABC*E", "missing the power outlet id"),
        ("NL*ABC*E*12", "must start with a letter or digit"),
        ("NL-ABC-E12", "contains invalid characters '-'"),
        ("NL*ABC*E1 2", "contains invalid characters ' '"),
        ("NL*ABC*E" + "1" * 32, "at most 31"),
        ("+49*810*000*438", "legacy DIN SPEC 91286"),
    ],
)
def test_invalid_ids_give_a_reason(value, reason):
    with pytest.raises(EvseIdError) as excinfo:
        evse_id_parse(value)

    assert reason in excinfo.value.reason


def test_too_long_is_checked_against_48_characters():
    assert "at most 48" in evse_id_error("NL*ABC*E" + "1" * 41)


def test_django_validator_raises_validation_error_with_the_reason():
    with pytest.raises(ValidationError) as excinfo:
        validate_evse_id("XX*ABC*E1")

    assert "country code 'XX' is not ISO 3166-1 alpha-2" in excinfo.value.messages[0]
    validate_evse_id("NL*ABC*E1")  # a valid id passes silently


def test_country_table_is_the_complete_iso_list():
    assert len(ISO_3166_ALPHA2_TO_ALPHA3) == 249
    assert len(ISO_3166_ALPHA3_TO_ALPHA2) == 249
    assert ISO_3166_ALPHA2_TO_ALPHA3["NL"] == "NLD"
    assert ISO_3166_ALPHA2_TO_ALPHA3["GB"] == "GBR"
    assert ISO_3166_ALPHA2_TO_ALPHA3["CH"] == "CHE"
    assert "UK" not in ISO_3166_ALPHA2_TO_ALPHA3  # a common mistake: the ISO code is GB


@pytest.mark.parametrize(("value", "alpha3"), [("NL", "NLD"), ("nl", "NLD"), ("NLD", "NLD"), (" deu ", "DEU")])
def test_country_alpha3_accepts_alpha2_and_alpha3(value, alpha3):
    assert country_alpha3(value) == alpha3


def test_country_alpha2_from_alpha3():
    assert country_alpha2("BEL") == "BE"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("XX", "'XX' is not ISO 3166-1 alpha-2"),
        ("XXX", "'XXX' is not ISO 3166-1 alpha-3"),
        ("Netherlands", "is not an ISO 3166-1 country code"),
    ],
)
def test_country_alpha3_refuses_unknown_codes(value, reason):
    with pytest.raises(ValueError, match=reason):
        country_alpha3(value)
