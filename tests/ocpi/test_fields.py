"""OCPI types (types.asciidoc): DateTime parsing/formatting, string/CiString validation, numbers as Decimal."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from roaming.ocpi.datetimes import format_datetime, parse_datetime, utcnow
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.fields import (
    CiStringField,
    OcpiDateTimeField,
    OcpiDecimalField,
    OcpiStringField,
    cistring_equal,
    validate_cistring,
    validate_ocpi_string,
)
from roaming.ocpi.serializers import OcpiUrlField, _optional

NOON = datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC)


# --- DateTime -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-31T12:00:00Z", NOON),
        ("2024-01-31T12:00:00z", NOON),
        ("2024-01-31T12:00:00+00:00", NOON),
        ("2024-01-31T12:00:00", NOON),  # no designator means UTC
        ("2024-01-31T14:00:00+02:00", NOON),  # converted to UTC
        ("2024-01-31T07:00:00-0500", NOON),
        ("2024-01-31 12:00:00Z", NOON),
        ("2024-01-31T12:00Z", NOON),
        (" 2024-01-31T12:00:00Z ", NOON),
        ("2024-01-31T12:00:00.2Z", NOON.replace(microsecond=200_000)),
        ("2024-01-31T12:00:00.123Z", NOON.replace(microsecond=123_000)),
        ("2024-01-31T12:00:00.123456789Z", NOON.replace(microsecond=123_456)),
    ],
)
def test_parse_datetime_is_lenient(raw, expected):
    parsed = parse_datetime(raw)

    assert parsed == expected
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    "raw", ["", "yesterday", "2024-01-31", "2024-02-30T12:00:00Z", "2024-01-31T25:00:00Z", "2024-01-31T12:00:00+2"]
)
def test_parse_datetime_refuses_garbage_with_a_reason(raw):
    with pytest.raises(ValueError, match="DateTime|not a valid date"):
        parse_datetime(raw)


@pytest.mark.parametrize("raw", [None, 1706702400, NOON])
def test_parse_datetime_refuses_non_strings(raw):
    with pytest.raises(ValueError, match="expected a DateTime string"):
        parse_datetime(raw)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (NOON, "2024-01-31T12:00:00Z"),
        (NOON.replace(microsecond=999_999), "2024-01-31T12:00:00Z"),
        (datetime(2024, 1, 31, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2024-01-31T12:00:00Z"),
        (datetime(2024, 1, 31, 12, 0), "2024-01-31T12:00:00Z"),  # naive: taken as UTC
        (None, None),
    ],
)
def test_format_datetime_is_strict(value, expected):
    assert format_datetime(value) == expected


def test_format_then_parse_roundtrips():
    now = utcnow().replace(microsecond=0)

    assert now.tzinfo == UTC
    assert parse_datetime(format_datetime(now)) == now


def test_datetime_field():
    field = OcpiDateTimeField()

    assert field.to_internal_value("2024-01-31T14:00:00+02:00") == NOON
    assert field.to_representation(NOON) == "2024-01-31T12:00:00Z"
    with pytest.raises(serializers.ValidationError) as caught:
        field.to_internal_value("noon")
    assert "'noon' is not an RFC 3339 DateTime" in str(caught.value.detail[0])


# --- string / CiString -------------------------------------------------------------------------------------------


def test_ocpi_string_accepts_printable_utf8_up_to_its_length():
    validate_ocpi_string("Laadpaal Zuid – €0,25/kWh ✓", 30)
    validate_ocpi_string("x" * 5, 5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 6, "at most 5 characters allowed, got 6"),
        ("a\nb", "control characters"),
        ("a\tb", "control characters"),
        ("a\x7fb", "control characters"),
    ],
)
def test_ocpi_string_refuses(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_ocpi_string(value, 5)


def test_cistring_accepts_printable_ascii():
    validate_cistring("Ab-12 ~", 7)


@pytest.mark.parametrize(
    ("value", "message"), [("ABCD", "at most 3 characters"), ("é", "printable ASCII"), ("a\nb", "printable ASCII")]
)
def test_cistring_refuses(value, message):
    with pytest.raises(ValidationError, match=message):
        validate_cistring(value, 3)


def test_cistring_equal_ignores_case():
    assert cistring_equal("nl", "NL")
    assert cistring_equal(None, "")
    assert not cistring_equal("NL", "DE")


def test_cistring_field_keeps_case_unless_asked_to_upper():
    assert CiStringField(36).to_internal_value("Loc-1") == "Loc-1"
    assert CiStringField(2, upper=True).to_internal_value("nl") == "NL"
    assert CiStringField(36).to_internal_value(" padded ") == " padded "  # no silent trimming of identifiers
    with pytest.raises(serializers.ValidationError, match="at most 2 characters"):
        CiStringField(2).to_internal_value("NLD")


def test_string_field_validates():
    field = OcpiStringField(10)

    assert field.to_internal_value("Zuid €") == "Zuid €"
    with pytest.raises(serializers.ValidationError, match="at most 10 characters"):
        field.to_internal_value("x" * 11)
    with pytest.raises(serializers.ValidationError, match="control characters"):
        field.to_internal_value("a\r\nb")


# --- number -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(Decimal("0.25"), Decimal("0.25")), (11, Decimal("11")), ("12.5", Decimal("12.5")), (0.1, Decimal("0.1"))],
)
def test_decimal_field_parses_numbers_and_numeric_strings(raw, expected):
    value = OcpiDecimalField().to_internal_value(raw)

    assert value == expected
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("raw", [True, "abc", "NaN", "Infinity", None, [1]])
def test_decimal_field_refuses_non_numbers(raw):
    with pytest.raises(serializers.ValidationError, match="a number is required"):
        OcpiDecimalField().to_internal_value(raw)


def test_decimal_field_can_refuse_negatives():
    assert OcpiDecimalField().to_internal_value(-1) == Decimal("-1")
    with pytest.raises(serializers.ValidationError, match="must not be negative"):
        OcpiDecimalField(allow_negative=False).to_internal_value("-0.01")


def test_decimal_field_representation():
    field = OcpiDecimalField()

    assert field.to_representation(Decimal("0.2500")) == Decimal("0.2500")
    assert field.to_representation(1.5) == Decimal("1.5")


# --- Error messages ---------------------------------------------------------------------------------------------


def test_flatten_errors_names_nested_fields_in_both_drf_shapes():
    as_dict = {"evses": {0: {"connectors": {1: {"max_voltage": ["This field is required."]}}}}}
    as_list = {"evses": [{"connectors": [{}, {"max_voltage": ["This field is required."]}]}]}

    expected = ["evses[0].connectors[1].max_voltage: This field is required."]
    assert flatten_errors(as_dict) == expected
    assert flatten_errors(as_list) == expected


def test_flatten_errors_non_field_and_plain_messages():
    assert flatten_errors({"non_field_errors": ["bad object"]}) == ["bad object"]
    assert flatten_errors({"tariff": {"non_field_errors": ["bad tariff"]}}) == ["tariff: bad tariff"]
    assert flatten_errors(["one", "two"]) == ["one", "two"]
    assert flatten_errors({"a": ["x"], "b": ["y", "z"]}) == ["a: x", "b: y", "b: z"]


def test_an_unencoded_plus_offset_in_a_query_string_is_understood():
    from datetime import UTC, datetime

    from roaming.ocpi.datetimes import parse_datetime

    # "?date_from=2024-01-01T10:00:00+02:00" unencoded reaches us with a space for the "+".
    assert parse_datetime("2024-01-01T10:00:00 02:00") == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+01:00"])
def test_datetime_field_refuses_instants_outside_the_range_of_dates(value):
    """Found by the interface suite's fuzz test: these raised OverflowError, a 5xx on any Receiver."""
    with pytest.raises(serializers.ValidationError) as caught:
        OcpiDateTimeField().to_internal_value(value)
    assert f"'{value}'" in str(caught.value.detail[0])  # refused naming the value (main's parser words it now)


def test_format_datetime_keeps_milliseconds_only_when_asked_and_present():
    assert format_datetime(NOON.replace(microsecond=123_999), milliseconds=True) == "2024-01-31T12:00:00.123Z"
    assert format_datetime(NOON, milliseconds=True) == "2024-01-31T12:00:00Z"
    assert format_datetime(NOON.replace(microsecond=123_999)) == "2024-01-31T12:00:00Z"


def test_to_utc_takes_a_datetime_string_or_a_datetime():
    from roaming.ocpi.datetimes import to_utc

    assert to_utc("2024-01-31T14:00:00+02:00") == NOON
    assert to_utc(datetime(2024, 1, 31, 14, 0, tzinfo=timezone(timedelta(hours=2)))).tzinfo == UTC
    assert to_utc(datetime(2024, 1, 31, 12, 0)) == NOON  # naive: taken as UTC
    with pytest.raises(ValueError, match="RFC 3339"):
        to_utc("yesterday")


STRINGS = ["abc", "", "A" * 40, "tab\there", "nul\x00", "lone \ud800", "é", "ÉCOLE", 5, None, True, ["x"], "  ", "ok"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: OcpiStringField(36),
        lambda: CiStringField(36),
        lambda: CiStringField(3, upper=True),
        lambda: _optional(OcpiStringField, 10),
        lambda: _optional(CiStringField, 3),
        lambda: OcpiUrlField(255),
    ],
)
def test_the_string_fields_fast_path_answers_as_drf_does(make):
    """A plain string skips DRF's generic path (bench/bench_locations.py); every input gets the same value or the
    same errors as through that path."""

    def outcome(field, value):
        try:
            return "ok", field.run_validation(value)
        except serializers.ValidationError as exc:
            return "error", exc.detail

    fast, slow = make(), make()
    slow.__dict__["_fast_ok"] = False  # DRF's path only
    for value in STRINGS:
        assert outcome(fast, value) == outcome(slow, value), value
    assert OcpiStringField(3)._fast and not OcpiUrlField(255)._fast


def test_a_field_with_extra_validators_takes_drfs_path():
    def no_x(value):
        if "x" in value:
            raise serializers.ValidationError("no x")

    field = OcpiStringField(10, validators=[no_x])
    assert not field._fast
    with pytest.raises(serializers.ValidationError, match="no x"):
        field.run_validation("box")
