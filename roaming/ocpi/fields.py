"""Serializer fields and validators for OCPI types (types.asciidoc).

* ``string(n)``: case-sensitive printable UTF-8, no control characters, at most n characters.
* ``CiString(n)``: case-insensitive printable ASCII, at most n characters.
* ``DateTime``: emitted as ``YYYY-MM-DDTHH:MM:SSZ``, parsed leniently (see ``roaming.ocpi.datetimes``).
* ``number``: JSON number kept as ``Decimal``.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from roaming.ocpi.datetimes import format_datetime, parse_datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
# What makes a string need DRF's full path: our control characters, and the NUL and lone surrogates DRF's CharField
# validators refuse. A string without them, within its length, passes every check unchanged.
_NEEDS_CHECKS = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_DEFAULT_CHAR_VALIDATORS = (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator)


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
    if _NOT_PRINTABLE_ASCII.search(value):
        raise ValidationError("only printable ASCII characters are allowed")


def cistring_equal(a: str | None, b: str | None) -> bool:
    return (a or "").upper() == (b or "").upper()


class _FastCharField(serializers.CharField):
    """A CharField whose common case (a non-empty ``str`` that every check would pass unchanged: ``_plain``) skips
    DRF's generic validation path; anything else takes that path, with its errors. A pull validates hundreds of
    thousands of strings (bench/bench_locations.py)."""

    def _plain(self, data) -> bool:
        raise NotImplementedError

    def run_validation(self, data=serializers.empty):
        if type(data) is str and data and self._fast and self._plain(data):
            return self._fast_value(data)
        return super().run_validation(data)

    # An absent value takes CharField's path unchanged (OcpiObjectSerializer's shortcut for absent optionals).
    run_validation.delegates_empty_to_drf = True

    def _fast_value(self, data: str) -> str:
        return data

    @property
    def _fast(self) -> bool:
        # Extra validators, trimming or a subclass's own conversion (OcpiUrlField) change the outcome: only DRF's
        # own NUL/surrogate validators are implied by ``_plain``.
        fast = self.__dict__.get("_fast_ok")
        if fast is None:
            fast = (
                not self.trim_whitespace
                and type(self).to_internal_value in (OcpiStringField.to_internal_value, CiStringField.to_internal_value)
                and all(isinstance(v, _DEFAULT_CHAR_VALIDATORS) for v in self.validators)
            )
            self.__dict__["_fast_ok"] = fast
        return fast


class OcpiStringField(_FastCharField):
    def __init__(self, max_length: int, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(max_length=None, **kwargs)
        self.ocpi_max_length = max_length

    def _plain(self, data: str) -> bool:
        return len(data) <= self.ocpi_max_length and not _NEEDS_CHECKS.search(data)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validate_ocpi_string(value, self.ocpi_max_length)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages)
        return value


class CiStringField(_FastCharField):
    def __init__(self, max_length: int, upper: bool = False, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(max_length=None, **kwargs)
        self.ocpi_max_length = max_length
        self.upper = upper

    def _plain(self, data: str) -> bool:
        return len(data) <= self.ocpi_max_length and not _NOT_PRINTABLE_ASCII.search(data)

    def _fast_value(self, data: str) -> str:
        return data.upper() if self.upper else data

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
