"""Forms of the locations admin: our locations, EVSEs and connectors (JSON fields checked with the OCPI
serializers, business lists as editors) and the charger import (the previewed file kept for Import)."""

import secrets

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Replace, Upper

from roaming.core.admin import StaffForm, StaffFormMixin
from roaming.core.structured import CHOICE, Column, RowsWidget, StructuredJsonField
from roaming.locations import choices
from roaming.locations.chargers import charger_fields
from roaming.locations.evse_id import EvseIdError, country_alpha3, evse_id_key, evse_id_parse
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.ocpi import serializers as ocpi_serializers
from roaming.locations.services import csms
from roaming.locations.services.imports import (
    enum_value,
    evse_uid_derive,
    geo_coordinate,
    tariff_id_list,
    time_zone_name,
)
from roaming.ocpi.fields import validate_cistring
from roaming.ocpi.serializers import (
    BusinessDetailsSerializer,
    DisplayTextSerializer,
    EnergyMixSerializer,
    ImageSerializer,
)
from roaming.ocpi.widgets import EnergyMixWidget, display_text_widget, image_widget

# --- forms ----------------------------------------------------------------------------------------------------

# JSON fields validated with the OCPI serializers of the module, so staff cannot push what a partner would refuse.
_JSON_CLASSES = {
    "opening_times": (ocpi_serializers.HoursSerializer, False),
    "operator": (BusinessDetailsSerializer, False),
    "suboperator": (BusinessDetailsSerializer, False),
    "owner": (BusinessDetailsSerializer, False),
    "energy_mix": (EnergyMixSerializer, False),
    "directions": (DisplayTextSerializer, True),
    "images": (ImageSerializer, True),
    "related_locations": (ocpi_serializers.AdditionalGeoLocationSerializer, True),
    "publish_allowed_to": (ocpi_serializers.PublishTokenTypeSerializer, True),
    "status_schedule": (ocpi_serializers.StatusScheduleSerializer, True),
}
_ENUM_LISTS = {
    "facilities": choices.Facility,
    "capabilities": choices.Capability,
    "parking_restrictions": choices.ParkingRestriction,
}


def _clean_json(name: str, value):
    if name in _ENUM_LISTS:
        if not isinstance(value, list):
            raise ValidationError('Enter a JSON list, e.g. ["WIFI"].')
        try:
            return list(dict.fromkeys(enum_value(str(v), _ENUM_LISTS[name]) for v in value))
        except ValueError as exc:
            raise ValidationError(str(exc))
    serializer_class, many = _JSON_CLASSES[name]
    if value in (None, [], {}):
        return [] if many else None
    serializer = serializer_class(data=value, many=many)
    if not serializer.is_valid():
        raise ValidationError(["Not valid OCPI:", *_flatten(serializer.errors)])
    return serializer.validated_data


def _flatten(errors, prefix: str = "") -> list[str]:
    """DRF's nested errors as ``path: message`` lines (``regular_hours[0].weekday: ...``)."""
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _flatten(value, f"{prefix}.{key}" if prefix else key)]
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        return [line for i, value in enumerate(errors) for line in _flatten(value, f"{prefix}[{i}]")]
    return [f"{prefix}: {message}" if prefix else str(message) for message in (errors or [])]


class _OwnFormMixin:
    """Clean every JSON field the form shows with the OCPI rules."""

    def _clean_json_fields(self, cleaned):
        for name in list(cleaned):
            if name in _JSON_CLASSES or name in _ENUM_LISTS:
                try:
                    cleaned[name] = _clean_json(name, cleaned[name])
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


def _enum_list_field(enum, label: str) -> forms.MultipleChoiceField:
    """A list of OCPI enum values (facilities, capabilities, parking restrictions) as tick boxes."""
    return forms.MultipleChoiceField(
        choices=enum.choices, required=False, label=label, widget=forms.CheckboxSelectMultiple
    )


def _status_schedule_widget() -> RowsWidget:
    return RowsWidget(
        (
            Column("period_begin", "From (UTC, e.g. 2026-01-31T22:00:00Z)", size=22),
            Column("period_end", "Until (empty: open-ended)", size=22),
            Column("status", "Status", CHOICE, choices=tuple(choices.Status.choices)),
        ),
        extra=1,
    )


class LocationAdminForm(_OwnFormMixin, StaffFormMixin, forms.ModelForm):
    facilities = _enum_list_field(choices.Facility, "Facilities")
    directions = StructuredJsonField(widget=display_text_widget(), empty=[], help_text="One text per language")
    images = StructuredJsonField(widget=image_widget(), empty=[])
    energy_mix = StructuredJsonField(widget=EnergyMixWidget(), label="Energy mix")

    class Meta:
        model = Location
        # The charger fields come from the one table (roaming.locations.chargers); the rest are admin-only.
        fields = [
            *charger_fields("location", keys=True),
            "publish_allowed_to",
            "opening_times",
            "directions",
            "related_locations",
            "operator",
            "suboperator",
            "owner",
            "images",
            "energy_mix",
        ]
        help_texts = {
            "country": "ISO 3166-1 alpha-3 (alpha-2 is converted)",
            "time_zone": "IANA name such as Europe/Amsterdam; empty: the country's zone",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "time_zone" in self.fields:
            self.fields["time_zone"].required = False

    def clean_location_id(self):
        value = self.cleaned_data["location_id"].strip()
        try:
            validate_cistring(value, 36)
        except ValidationError as exc:
            raise ValidationError(exc.messages)
        return value

    def clean_country(self):
        try:
            return country_alpha3(self.cleaned_data["country"])
        except ValueError as exc:
            raise ValidationError(str(exc))

    def clean_latitude(self):
        return _coordinate(self.cleaned_data["latitude"], "latitude")

    def clean_longitude(self):
        return _coordinate(self.cleaned_data["longitude"], "longitude")

    def clean_time_zone(self):
        value = self.cleaned_data.get("time_zone") or ""
        try:
            return time_zone_name(value) if value else ""
        except ValueError as exc:
            raise ValidationError(str(exc))

    def clean(self):
        cleaned = self._clean_json_fields(super().clean())
        location_id = cleaned.get("location_id")
        new = self.instance.pk is None
        if location_id and new and csms.own_locations().filter(location_id__iexact=location_id).exists():
            self.add_error("location_id", f"Our location '{location_id}' already exists.")
        return cleaned


def _coordinate(value: str, axis: str, *, blank: bool = False) -> str:
    if blank and not (value or "").strip():
        return ""
    try:
        return geo_coordinate(value, axis=axis)
    except ValueError as exc:
        raise ValidationError(str(exc))


class EVSEAdminForm(_OwnFormMixin, StaffFormMixin, forms.ModelForm):
    capabilities = _enum_list_field(choices.Capability, "Capabilities")
    parking_restrictions = _enum_list_field(choices.ParkingRestriction, "Parking restrictions")
    directions = StructuredJsonField(widget=display_text_widget(), empty=[], help_text="One text per language")
    images = StructuredJsonField(widget=image_widget(), empty=[])
    status_schedule = StructuredJsonField(
        widget=_status_schedule_widget(), empty=[], help_text="Planned status changes (e.g. maintenance)"
    )

    class Meta:
        model = EVSE
        fields = [
            "location",
            *charger_fields("evse", keys=True, immutable=True),
            "latitude",
            "longitude",
            "parking_restrictions",
            "directions",
            "images",
            "status_schedule",
        ]
        help_texts = {
            "evse_id": "Public eMI3 EVSE ID, e.g. NL*EXA*E12345 (stored upper-case)",
            "uid": "OCPI technical id, never changes. Empty: derived from the EVSE ID",
            "internal_id": "The charger's id in our CSMS (what the CSMS API and the CSV import use)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "uid" in self.fields:
            self.fields["uid"].required = False

    def clean_evse_id(self):
        value = (self.cleaned_data.get("evse_id") or "").strip()
        if not value:
            return ""  # allowed: OCPI lets an EVSE drop its evse_id once REMOVED
        try:
            return evse_id_parse(value).value
        except EvseIdError as exc:
            raise ValidationError(f"Not a valid EVSE ID: {exc.reason}.")

    def clean_internal_id(self):
        return (self.cleaned_data.get("internal_id") or "").strip() or None

    def clean_latitude(self):
        return _coordinate(self.cleaned_data.get("latitude"), "latitude", blank=True)

    def clean_longitude(self):
        return _coordinate(self.cleaned_data.get("longitude"), "longitude", blank=True)

    def clean(self):
        cleaned = self._clean_json_fields(super().clean())
        location = cleaned.get("location") or (self.instance.location if self.instance.location_id else None)
        if location is not None and location.source_partner_id is not None:
            self.add_error("location", "Choose one of our own locations.")
        evse_id = cleaned.get("evse_id")
        if evse_id:
            key = evse_id_key(evse_id)
            twin = (
                csms.own_evses()
                .annotate(key=Replace(Upper("evse_id"), models.Value("*"), models.Value("")))
                .filter(key=key)
                .exclude(pk=self.instance.pk)
                .first()
            )
            if twin is not None:
                self.add_error(
                    "evse_id", f"EVSE ID already used by EVSE '{twin.uid}' (internal id {twin.internal_id or '-'})."
                )
        if self.instance.pk is None and location is not None:
            uid = cleaned.get("uid") or (evse_uid_derive(evse_id) if evse_id else "")
            if not uid:
                self.add_error("uid", "Give a uid or an EVSE ID to derive it from.")
            elif EVSE.objects.filter(location=location, uid__iexact=uid).exists():
                self.add_error("uid", f"'{uid}' is already the uid of an EVSE at this location.")
            else:
                cleaned["uid"] = uid
        return cleaned


def _formfield(db_field, **kwargs):
    # OCPI URLs are https; also silences Django 5's warning about the default scheme changing.
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class ConnectorAdminForm(StaffFormMixin, forms.ModelForm):
    class Meta:
        model = Connector
        formfield_callback = _formfield
        fields = ["evse", *charger_fields("connector", keys=True)]

    def clean_tariff_ids(self):
        value = self.cleaned_data.get("tariff_ids") or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError('Enter a JSON list of tariff ids, e.g. ["AC-1"].')
        try:
            return tariff_id_list(value)
        except ValueError as exc:
            raise ValidationError(str(exc))

    def clean(self):
        cleaned = super().clean()
        evse = cleaned.get("evse")
        if evse is not None and evse.location.source_partner_id is not None:
            self.add_error("evse", "Choose one of our own EVSEs.")
        return cleaned


class ChargerImportForm(StaffForm):
    """The file is kept server-side after a preview (``upload`` names it), so Import needs no second upload."""

    file = forms.FileField(label="CSV file", required=False, help_text="UTF-8, header row, one row per connector")
    upload = forms.CharField(required=False, widget=forms.HiddenInput)
    good_rows_only = forms.BooleanField(
        required=False,
        label="Import the good rows only",
        help_text="Otherwise a file with any bad row imports nothing. An EVSE with a bad row is skipped whole.",
    )

    def __init__(self, *args, user_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            cleaned["name"], cleaned["content"] = upload.name, upload.read()
            cleaned["upload"] = kept_upload_save(self.user_id, cleaned["name"], cleaned["content"])
        elif cleaned.get("upload") and (kept := kept_upload(self.user_id, cleaned["upload"])) is not None:
            cleaned["name"], cleaned["content"] = kept
        elif cleaned.get("upload"):
            self.add_error(
                "file",
                "The previewed file is no longer kept (imported already, or kept over an hour): choose it again.",
            )
        else:
            self.add_error("file", "Choose a CSV file.")
        return cleaned


# A previewed file waits here for Import, per user, for an hour.
KEPT_UPLOAD_SECONDS = 3600


def kept_upload_key(user_id: int, token: str) -> str:
    return f"roaming:charger-import:{user_id}:{token}"


def kept_upload_save(user_id: int, name: str, content: bytes) -> str:
    token = secrets.token_urlsafe(16)
    cache.set(kept_upload_key(user_id, token), (name, content), KEPT_UPLOAD_SECONDS)
    return token


def kept_upload(user_id: int, token: str) -> tuple[str, bytes] | None:
    return cache.get(kept_upload_key(user_id, token))
