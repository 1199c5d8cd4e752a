"""OCPI 2.2.1 serializer building blocks shared by the modules' ``ocpi/serializers.py``.

* fields for the types of types.asciidoc and for any module's enums (``EnumField``, ``HourMinuteField``, ...);
* the base classes ``OcpiObjectSerializer`` (an object: ``null`` members read as absent) and ``JsonClassSerializer``
  (a nested class stored as JSON: validated into a JSON-ready dict without empty optional members);
* the classes more than one module uses: DisplayText (types.asciidoc, "DisplayText class"), and GeoLocation, Image,
  BusinessDetails, EnergyMix, EnergySource and EnvironmentalImpact (mod_locations.asciidoc, "Data types", used by
  Locations and Tariffs).

Parse leniently, emit strictly: enum values are matched case-insensitively and returned in the spec's spelling;
coordinates are normalised to the spec's regex; numbers where a string is expected are accepted as their text.

Module-specific classes stay in their module; this module imports no module app.
"""

import functools
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.fields import SkipField, get_error_detail

from roaming.ocpi import choices
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.fields import CiStringField, OcpiDateTimeField, OcpiDecimalField, OcpiStringField

LATITUDE_RE = re.compile(r"-?[0-9]{1,2}\.[0-9]{5,7}")
LONGITUDE_RE = re.compile(r"-?[0-9]{1,3}\.[0-9]{5,7}")
HOUR_MINUTE_RE = re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]")


# --- fields -----------------------------------------------------------------------------------------------------


class EnumField(serializers.Field):
    """An OCPI enum value, matched case-insensitively, returned in the spec's spelling.

    ``lenient=True`` (optional informational values such as ``parking_type``): an unknown value reads as absent.
    """

    default_error_messages = {"invalid": "'{value}' is not a valid {name}", "type": "expected a string"}

    def __init__(self, enum, *, lenient: bool = False, **kwargs):
        self.enum = enum
        self.lenient = lenient
        self.lookup = {value.upper(): value for value in enum.values}
        if len(self.lookup) != len(enum.values):  # would make case-insensitive matching ambiguous
            raise ValueError(f"{enum.__name__} has values differing only in case")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            if self.lenient:
                return None
            self.fail("type")
        value = self.lookup.get(data.strip().upper())
        if value is None and not self.lenient:
            self.fail("invalid", value=data, name=self.enum.__name__)
        return value

    def to_representation(self, value):
        return value


class EnumListField(serializers.Field):
    """A list (``*``) of an informational enum: case-insensitive, de-duplicated, unknown values dropped.

    Used for Capability, Facility and ParkingRestriction, where one value we do not know must not cost the partner
    its whole Location.
    """

    default_error_messages = {"type": "expected a list of strings"}

    def __init__(self, enum, **kwargs):
        self.enum = enum
        self.lookup = {value.upper(): value for value in enum.values}
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):  # a single value where a list was expected
            data = [data]
        if not isinstance(data, list):
            self.fail("type")
        values: list[str] = []
        for item in data:
            value = self.lookup.get(item.strip().upper()) if isinstance(item, str) else None
            if value is not None and value not in values:
                values.append(value)
        return values

    def to_representation(self, value):
        return value


class CoordinateField(serializers.Field):
    """A GeoLocation ``latitude``/``longitude``: a string matching the spec's regex, within WGS 84 range.

    Numbers and other decimal notations are normalised: rounded to at most 7 decimals, padded to at least 5, and
    shortened further if needed to fit the spec's string length (the spec's regex allows ``-12.3456789``, 11
    characters, for a ``string(10)`` latitude; we keep the length and lose the 7th decimal in that corner case).
    """

    default_error_messages = {
        "invalid": "'{value}' is not a decimal degree value such as {example}",
        "range": "{value} is outside -{limit}..{limit}",
    }

    def __init__(self, *, regex: re.Pattern, limit: int, max_length: int, example: str, **kwargs):
        self.regex = regex
        self.limit = limit
        self.max_length = max_length
        self.example = example
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float | Decimal):
            self.fail("invalid", value=data, example=self.example)
        text = data.strip() if isinstance(data, str) else str(data)
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.fail("invalid", value=data, example=self.example)
        if not number.is_finite():
            self.fail("invalid", value=data, example=self.example)
        if abs(number) > self.limit:
            self.fail("range", value=text, limit=self.limit)
        if self.regex.fullmatch(text) and len(text) <= self.max_length:
            return text
        decimals = min(max(-number.as_tuple().exponent, 5), 7)
        while True:
            normalised = f"{number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN):f}"
            if len(normalised) <= self.max_length or decimals == 5:
                break
            decimals -= 1
        if not self.regex.fullmatch(normalised):
            self.fail("invalid", value=data, example=self.example)
        return normalised

    def to_representation(self, value):
        return value


class HourMinuteField(serializers.Field):
    """RegularHours ``HH:MM`` local time. ``24:00`` (a common way to say "until midnight") is accepted as a
    ``period_end`` and stored as ``00:00``, which reads as a wrap to midnight (see ``RegularHoursSerializer``)."""

    default_error_messages = {"invalid": "'{value}' is not a time in HH:MM 24h format such as 08:00"}

    def __init__(self, *, allow_midnight_end: bool = False, **kwargs):
        self.allow_midnight_end = allow_midnight_end
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        text = data.strip()
        if self.allow_midnight_end and text == "24:00":
            return "00:00"
        if not HOUR_MINUTE_RE.fullmatch(text):
            self.fail("invalid", value=data)
        return text

    def to_representation(self, value):
        return value


class JsonDateTimeField(OcpiDateTimeField):
    """A DateTime inside a class stored as JSON: parsed leniently, kept as the strict ``Z`` string."""

    def to_internal_value(self, data):
        return format_datetime(super().to_internal_value(data))


class JsonNumberField(OcpiDecimalField):
    """A JSON ``number`` inside a class stored as JSON: int when integral, else float (a float's repr keeps the
    digits the partner sent for OCPI's 4 decimals)."""

    default_error_messages = {**OcpiDecimalField.default_error_messages, "max": "must not exceed {max_value}"}

    def __init__(self, *, max_value: int | None = None, **kwargs):
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if self.max_value is not None and value > self.max_value:
            self.fail("max", max_value=self.max_value)
        return int(value) if value == value.to_integral_value() else float(value)


class OcpiUrlField(OcpiStringField):
    """OCPI ``URL`` (types.asciidoc): string(255) holding an absolute http(s) URL (RFC 3986)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not is_http_url(value):
            raise serializers.ValidationError("must be an absolute http(s) URL")
        return value


def is_http_url(value: str) -> bool:
    """True for an absolute ``http``/``https`` URL with a host and no whitespace."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in value)


def _url(**kwargs) -> OcpiUrlField:
    return OcpiUrlField(255, **kwargs)


def _optional(field_class, *args, **kwargs):
    kwargs.setdefault("required", False)
    if issubclass(field_class, serializers.CharField):
        kwargs.setdefault("allow_blank", True)
    return field_class(*args, **kwargs)


# --- base classes -----------------------------------------------------------------------------------------------


# Field classes whose get_value(dict) is ``dict.get(field_name, empty)`` for JSON input (they differ for HTML forms).
_PLAIN_GET_VALUE = {
    serializers.Field.get_value,
    serializers.ListField.get_value,
    serializers.DictField.get_value,
    serializers.ListSerializer.get_value,
    serializers.Serializer.get_value,
}

# Field classes whose run_validation of an absent value is DRF's ``validate_empty_values`` then ``get_default``:
# for a field that is optional and has no default, that is always ``SkipField`` (partial or not).
_PLAIN_EMPTY_HANDLING = {
    serializers.Field.run_validation,
    serializers.CharField.run_validation,
    serializers.Serializer.run_validation,
    serializers.ListSerializer.run_validation,
}


def _skipped_when_absent(field) -> bool:
    """True when DRF would answer an absent value with ``SkipField``: an optional field without default, whose
    classes handle an absent value the generic way (``OcpiStringField``'s fast path hands it to DRF's own)."""
    run_validation = type(field).run_validation
    if getattr(run_validation, "delegates_empty_to_drf", False):
        run_validation = serializers.CharField.run_validation
    return (
        not field.required
        and not field.read_only
        and field.default is serializers.empty
        and run_validation in _PLAIN_EMPTY_HANDLING
        and type(field).validate_empty_values is serializers.Field.validate_empty_values
        and type(field).get_default is serializers.Field.get_default
    )


class OcpiObjectSerializer(serializers.Serializer):
    """Drops ``null`` members before validation: in OCPI an optional field set to null is the same as absent.

    ``to_internal_value`` is DRF's own loop (same fields, same order, same ``validate_<field>`` hooks, same errors)
    with the per-object work it repeats done once per serializer instance: a pull validates 50,000 Locations of
    ~100 fields each with one instance, and DRF's generic loop was half the ingest time (bench/bench_locations.py).
    An absent optional member without default is skipped without asking the field, which would raise and catch
    ``SkipField`` after walking up to the root serializer (most of a Location's members are absent optionals).
    """

    def _plan(self) -> list[tuple]:
        plan = self.__dict__.get("_ocpi_plan")
        if plan is None:
            plan = [
                (
                    field,
                    field.field_name,
                    getattr(self, f"validate_{field.field_name}", None),
                    field.source_attrs[0] if len(field.source_attrs) == 1 else None,
                    type(field).get_value in _PLAIN_GET_VALUE,
                    _skipped_when_absent(field),
                )
                for field in self._writable_fields
            ]
            self.__dict__["_ocpi_plan"] = plan
        return plan

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's "Invalid data. Expected a dictionary" error
        data = {key: value for key, value in data.items() if value is not None}
        ret, errors = {}, {}
        for field, name, validate_method, source, plain, skipped_when_absent in self._plan():
            primitive = data.get(name, serializers.empty) if plain else field.get_value(data)
            if primitive is serializers.empty and skipped_when_absent:
                continue
            try:
                value = field.run_validation(primitive)
                if validate_method is not None:
                    value = validate_method(value)
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
            except DjangoValidationError as exc:
                errors[name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                if source is not None:
                    ret[source] = value
                else:
                    self.set_value(ret, field.source_attrs, value)
        if errors:
            raise serializers.ValidationError(errors)
        return ret

    def run_validators(self, value):
        # DRF builds a dict of read-only defaults for every object before running no validators at all.
        if self.validators:
            super().run_validators(value)


class JsonClassSerializer(OcpiObjectSerializer):
    """A nested class stored as JSON: validated into a plain dict without empty optional members."""

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        return {key: value for key, value in validated.items() if value is not None and value != [] and value != ""}


# --- classes (types.asciidoc DisplayText; mod_locations.asciidoc "Data types" shared with other modules) --------


class DisplayTextSerializer(JsonClassSerializer):
    """DisplayText class (types.asciidoc)."""

    language = OcpiStringField(2)
    text = OcpiStringField(512)


class GeoLocationSerializer(JsonClassSerializer):
    """GeoLocation class (mod_locations.asciidoc, "Data types")."""

    latitude = CoordinateField(regex=LATITUDE_RE, limit=90, max_length=10, example="51.047599")
    longitude = CoordinateField(regex=LONGITUDE_RE, limit=180, max_length=11, example="3.729944")


class ImageSerializer(JsonClassSerializer):
    """Image class (mod_locations.asciidoc, "Data types")."""

    url = _url()
    thumbnail = _url(required=False, allow_blank=True)
    category = EnumField(choices.ImageCategory)
    type = CiStringField(4)
    width = serializers.IntegerField(required=False, min_value=0, max_value=99999)
    height = serializers.IntegerField(required=False, min_value=0, max_value=99999)


class BusinessDetailsSerializer(JsonClassSerializer):
    """BusinessDetails class (mod_locations.asciidoc, "Data types")."""

    name = OcpiStringField(100)
    website = _url(required=False, allow_blank=True)
    logo = ImageSerializer(required=False)


class EnergySourceSerializer(JsonClassSerializer):
    """EnergySource class (mod_locations.asciidoc, "Data types")."""

    source = EnumField(choices.EnergySourceCategory)
    percentage = JsonNumberField(allow_negative=False, max_value=100)


class EnvironmentalImpactSerializer(JsonClassSerializer):
    """EnvironmentalImpact class (mod_locations.asciidoc, "Data types")."""

    category = EnumField(choices.EnvironmentalImpactCategory)
    amount = JsonNumberField(allow_negative=False)

    def to_internal_value(self, data):
        # OCPI 2.1.1 called this member ``source``; some 2.2.1 peers still do.
        if isinstance(data, Mapping) and data.get("category") is None and "source" in data:
            data = {**data, "category": data["source"]}
        return super().to_internal_value(data)


class EnergyMixSerializer(JsonClassSerializer):
    """EnergyMix class (mod_locations.asciidoc, "Data types"); also a Tariff's ``energy_mix``."""

    is_green_energy = serializers.BooleanField()
    energy_sources = EnergySourceSerializer(many=True, required=False)
    environ_impact = EnvironmentalImpactSerializer(many=True, required=False)
    supplier_name = _optional(OcpiStringField, 64)
    energy_product_name = _optional(OcpiStringField, 64)


@functools.cache
def _reused(
    serializer_class: type[serializers.BaseSerializer], partial: bool, context: tuple
) -> serializers.BaseSerializer:
    return serializer_class(context=dict(context), **({"partial": True} if partial else {}))


def validate_reused(serializer_class: type[serializers.BaseSerializer], data, *, partial: bool = False, **context):
    """``serializer_class(data=data, partial=partial, context=context)``, ``is_valid(raise_exception=True)``, its
    ``validated_data``, with one instance per class, ``partial`` and context reused for every call: DRF copies every
    declared field into each new instance, which cost more than the validation (a Session PUT: 0.7 ms of copies for
    0.06 ms of checks). ``run_validation`` keeps no state on the instance and raises the same ``ValidationError``;
    our serializers read only ``partial`` and ``context``, fixed per instance."""
    return _reused(serializer_class, partial, tuple(sorted(context.items()))).run_validation(data)
