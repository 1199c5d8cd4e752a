"""Lenient timestamps on input (issue 10): offsets, no zone, fractions, and the forms real peers send."""

from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from roaming.ocpi.datetimes import parse_datetime
from roaming.ocpi.fields import OcpiDateTimeField

NOON = datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-31T12:00:00Z", NOON),
        ("2024-01-31T12:00:00", NOON),  # no zone: UTC (types.asciidoc)
        ("2024-01-31T13:00:00+01:00", NOON),
        ("2024-01-31T07:30:00-04:30", NOON),
        ("2024-01-31T13:00:00+0100", NOON),
        ("2024-01-31T13:00:00+01", NOON),
        ("2024-01-31 12:00:00+00:00", NOON),  # py-ocpi's str(datetime)
        ("2024-01-31t12:00:00z", NOON),  # RFC 3339 5.6: lower case allowed
        ("2024-01-31T12:00Z", NOON),
        ("2024-01-31T12:00:00.250Z", NOON.replace(microsecond=250000)),
        ("2024-01-31T12:00:00,5Z", NOON.replace(microsecond=500000)),
        ("2024-01-31T12:00:00.123456789Z", NOON.replace(microsecond=123456)),  # nanoseconds cut, not refused
        ("2024-01-31T13:00:00.5+01:00", NOON.replace(microsecond=500000)),
    ],
)
def test_lenient_input(raw, expected):
    assert parse_datetime(raw) == expected
    assert OcpiDateTimeField().to_internal_value(raw) == expected


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00:00+01:00", "2024-02-30T12:00:00Z", "2024-01-31T25:00:00Z", "31-01-2024 12:00", "today"]
)
def test_what_is_not_a_date_is_a_validation_error_never_a_crash(raw):
    with pytest.raises(ValueError):
        parse_datetime(raw)
    with pytest.raises(serializers.ValidationError):
        OcpiDateTimeField().to_internal_value(raw)


def test_output_stays_strict():
    assert (
        OcpiDateTimeField().to_representation(parse_datetime("2024-01-31 13:00:00.5+01:00")) == "2024-01-31T12:00:00Z"
    )
