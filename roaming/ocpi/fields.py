"""Serializer fields and validators for OCPI types (types.asciidoc).

* ``string(n)``: case-sensitive printable UTF-8, no control characters, at most n characters.
* ``CiString(n)``: case-insensitive printable ASCII, at most n characters.
* ``DateTime``: emitted as ``YYYY-MM-DDTHH:MM:SSZ``, parsed leniently (see ``roaming.ocpi.datetimes``).
* ``number``: JSON number kept as ``Decimal``.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from rest_framework import serializers

from roaming.ocpi.datetimes import format_datetime, parse_datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_ocpi_string(value: str, max_length: int) -> None:
    """``string(n)``: printable UTF-8 without control characters (CR, LF, TAB...)."""
    if len(value) > max_length:
        raise ValidationError(f"at most {max_length} characters allowed, got {len(value)}")
    if _CONTROL.search(value):
        raise ValidationError("control characters (CR, LF, TAB...) are not allowed")


def validate_cistring(value: str, max_length: int) -> None:
    """``CiString(n)``: printable ASCII (0x20-0x7E) only."""
    if len(value) > max_length:
        raise ValidationError(f"at most {max_length} characters allowed, got {len(value)}")
    if any(not 0x20 <= ord(c) <= 0x7E for c in value):
        raise ValidationError("only printable ASCII characters are allowed")


def cistring_equal(a: str | None, b: str | None) -> bool:
    return (a or "").upper() == (b or "").upper()


class OcpiStringField(serializers.CharField):
    def __init__(self, max_length: int, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(max_length=None, **kwargs)
        self.ocpi_max_length = max_length

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_ocpi_string(value, self.ocpi_max_length)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages)
        return value


class CiStringField(serializers.CharField):
    def __init__(self, max_length: int, upper: bool = False, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(max_length=None, **kwargs)
        self.ocpi_max_length = max_length
        self.upper = upper

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_cistring(value, self.ocpi_max_length)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages)
        return value.upper() if self.upper else value


class OcpiDateTimeField(serializers.Field):
    default_error_messages = {"invalid": "{reason}"}

    def to_internal_value(self, data):
        try:
            return parse_datetime(data)
        except ValueError as exc:
            self.fail("invalid", reason=str(exc))

    def to_representation(self, value):
        return format_datetime(value)


class OcpiDecimalField(serializers.Field):
    """A JSON number kept as ``Decimal``; a numeric string is tolerated (parse leniently)."""

    default_error_messages = {"invalid": "a number is required", "negative": "must not be negative"}

    def __init__(self, *, allow_negative: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.allow_negative = allow_negative

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = Decimal(str(data))
        except (InvalidOperation, ValueError, TypeError):
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        if not self.allow_negative and value < 0:
            self.fail("negative")
        return value

    def to_representation(self, value):
        return value if isinstance(value, Decimal) else Decimal(str(value))
