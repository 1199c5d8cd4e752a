"""Locations in the admin: our own chargers (edit, map CSMS ids to EVSE IDs, import a CSV) and, read-only, what
partners sent us. Saving our own data goes through ``roaming.locations.services.csms`` so partners get a push."""

import io
import secrets

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Count
from django.db.models.functions import Replace, Upper
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.core.admin import ModelAdmin, StaffForm, StaffFormMixin, TabularInline
from roaming.core.exceptions import DomainError
from roaming.core.structured import CHOICE, Column, RowsWidget, StructuredJsonField
from roaming.locations import choices
from roaming.locations.chargers import charger_fields
from roaming.locations.evse_id import EvseIdError, country_alpha3, evse_id_key, evse_id_parse
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.ocpi import serializers as ocpi_serializers
from roaming.locations.services import csms, own
from roaming.locations.services.imports import (
    chargers_import_csv,
    enum_value,
    evse_uid_derive,
    geo_coordinate,
    tariff_id_list,
    template_csv,
    time_zone_name,
)
from roaming.ocpi.admin_filters import OwnDataFilter
from roaming.ocpi.fields import validate_cistring
from roaming.ocpi.serializers import (
    BusinessDetailsSerializer,
    DisplayTextSerializer,
    EnergyMixSerializer,
    ImageSerializer,
)
from roaming.ocpi.widgets import EnergyMixWidget, display_text_widget, image_widget

# --- list filters ---------------------------------------------------------------------------------------------


class EvseOwnershipFilter(OwnDataFilter):
    source_field = "location__source_partner"


class ConnectorOwnershipFilter(OwnDataFilter):
    source_field = "evse__location__source_partner"


class TariffIdFilter(admin.SimpleListFilter):
    """Connectors by one of their ``tariff_ids`` (a JSON list), or those without any."""

    title = "tariff id"
    parameter_name = "tariff_id"
    NONE = "-"
    MAX_CHOICES = 200

    def lookups(self, request, model_admin):
        ids: set[str] = set()
        for tariff_ids in model_admin.get_queryset(request).order_by().values_list("tariff_ids", flat=True).distinct():
            ids.update(tariff_ids or [])
        return [(self.NONE, "(none)"), *((t, t) for t in sorted(ids)[: self.MAX_CHOICES])]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.NONE:
            return queryset.filter(tariff_ids=[])
        if connection.features.supports_json_field_contains:
            return queryset.filter(tariff_ids__contains=[value])
        # SQLite has no JSON containment: match in Python on (pk, tariff_ids) pairs only.
        pks = [pk for pk, ids in queryset.values_list("pk", "tariff_ids") if value in (ids or [])]
        return queryset.filter(pk__in=pks)


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
            cleaned["upload"] = _kept_upload_save(self.user_id, cleaned["name"], cleaned["content"])
        elif cleaned.get("upload") and (kept := _kept_upload(self.user_id, cleaned["upload"])) is not None:
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


def _kept_upload_key(user_id: int, token: str) -> str:
    return f"roaming:charger-import:{user_id}:{token}"


def _kept_upload_save(user_id: int, name: str, content: bytes) -> str:
    token = secrets.token_urlsafe(16)
    cache.set(_kept_upload_key(user_id, token), (name, content), KEPT_UPLOAD_SECONDS)
    return token


def _kept_upload(user_id: int, token: str) -> tuple[str, bytes] | None:
    return cache.get(_kept_upload_key(user_id, token))


# --- shared admin behaviour ------------------------------------------------------------------------------------


def _is_own(obj: Location | EVSE | Connector | None) -> bool:
    if obj is None:
        return True
    location = obj if isinstance(obj, Location) else (obj.location if isinstance(obj, EVSE) else obj.evse.location)
    return location.source_partner_id is None and (location.country_code, location.party_id) == own.own_party()


class _OwnDataAdmin(ModelAdmin):
    """Own rows are edited through the services (so partners get pushes); partners' rows are read-only; nothing
    is deleted (OCPI: an EVSE is never deleted, it becomes REMOVED)."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _is_own(obj)

    def has_delete_permission(self, request, obj=None):
        return False


class EVSEInline(TabularInline):
    model = EVSE
    extra = 0
    fields = ["uid", "evse_id", "internal_id", "status", "last_updated"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["uid"]

    def has_add_permission(self, request, obj=None):
        return False


class ConnectorInline(TabularInline):
    model = Connector
    extra = 0
    fields = ["connector_id", "standard", "format", "power_type", "max_voltage", "max_amperage", "tariff_ids"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


# --- model admins ---------------------------------------------------------------------------------------------


@admin.register(Location)
class LocationAdmin(_OwnDataAdmin):
    form = LocationAdminForm
    list_display = ["party", "location_id", "name", "city", "evse_count", "last_updated", "owner_display"]
    list_display_links = ["location_id"]
    list_filter = [OwnDataFilter, "country", "parking_type", "publish"]
    list_select_related = ["source_partner"]
    search_fields = ["location_id", "name", "address", "city", "postal_code", "evses__evse_id", "evses__internal_id"]
    inlines = [EVSEInline]
    readonly_fields = [
        "country_code",
        "party_id",
        "last_updated",
        "source_partner",
        "received_at",
        "raw",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["country_code", "party_id", "location_id", "name", "publish", "publish_allowed_to"]}),
        (
            "Address",
            {"fields": ["address", "city", "postal_code", "state", "country", "latitude", "longitude", "time_zone"]},
        ),
        (
            "Details",
            {
                "classes": ["collapse"],
                "fields": [
                    "parking_type",
                    "facilities",
                    "opening_times",
                    "charging_when_closed",
                    "directions",
                    "related_locations",
                    "operator",
                    "suboperator",
                    "owner",
                    "images",
                    "energy_mix",
                ],
            },
        ),
        ("Bookkeeping", {"fields": ["last_updated", "source_partner", "received_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evse_total=Count("evses"))

    def get_readonly_fields(self, request, obj=None):
        # Location.id is immutable (mod_locations.asciidoc, Location.id).
        return [*self.readonly_fields, "location_id"] if obj else self.readonly_fields

    @admin.display(description="party", ordering="country_code")
    def party(self, obj):
        return f"{obj.country_code}/{obj.party_id}"

    @admin.display(description="EVSEs", ordering="evse_total")
    def evse_count(self, obj):
        return obj.evse_total

    @admin.display(description="data from", ordering="source_partner")
    def owner_display(self, obj):
        return obj.source_partner.name if obj.source_partner_id else format_html("<b>{}</b>", "own")

    def save_model(self, request, obj, form, change):
        csms.location_save_own(location=obj, changed_fields=form.changed_data, created=not change)


@admin.register(EVSE)
class EVSEAdmin(_OwnDataAdmin):
    form = EVSEAdminForm
    list_display = ["evse_id", "internal_id", "uid", "location_link", "status", "last_updated"]
    list_display_links = ["evse_id", "uid"]
    list_filter = ["status", EvseOwnershipFilter]
    list_select_related = ["location"]
    search_fields = ["evse_id", "internal_id", "uid"]
    raw_id_fields = ["location"]
    inlines = [ConnectorInline]
    readonly_fields = ["last_updated", "created_at", "updated_at"]
    fields = [*EVSEAdminForm.Meta.fields, "last_updated", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # EVSE.uid never changes, and EVSEs do not move between locations.
        return [*self.readonly_fields, "location", "uid"] if obj else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(request, queryset, search_term)
        key = evse_id_key(search_term)
        if key:
            # Also find EVSE IDs written with other separators (NLEXAE1 finds NL*EXA*E1), within the same filters.
            by_key = EVSE.objects.annotate(key=Replace(Upper("evse_id"), models.Value("*"), models.Value(""))).filter(
                key__contains=key
            )
            found = found | queryset.filter(pk__in=by_key.values("pk"))
        return found, duplicates

    @admin.display(description="location", ordering="location__location_id")
    def location_link(self, obj):
        url = reverse("admin:locations_location_change", args=[obj.location_id])
        return format_html('<a href="{}">{}</a>', url, obj.location.location_id)

    def save_model(self, request, obj, form, change):
        csms.evse_save_own(evse=obj, changed_fields=form.changed_data, created=not change)

    # --- CSV import --------------------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="locations_evse_import"),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.template_view),
                name="locations_evse_import_template",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return redirect("admin:index")
        form = ChargerImportForm(request.POST or None, request.FILES or None, user_id=request.user.pk)
        report = None
        if request.method == "POST" and form.is_valid():
            dry_run = request.POST.get("action") != "import"
            form.data = form.data.copy()
            form.data["upload"] = form.cleaned_data["upload"]  # the page keeps pointing at the kept file
            try:
                report = chargers_import_csv(
                    file=io.BytesIO(form.cleaned_data["content"]),
                    good_rows_only=form.cleaned_data["good_rows_only"],
                    dry_run=dry_run,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                # The summary is said once, as the page's message; the page shows the counts and the bad rows.
                level = messages.ERROR if report.refused else (messages.INFO if dry_run else messages.SUCCESS)
                self.message_user(request, report.summary(), level)
                if not dry_run and not report.refused:
                    cache.delete(_kept_upload_key(request.user.pk, form.cleaned_data["upload"]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import chargers (CSV)",
            "form": form,
            "report": report,
            "kept_file": form.cleaned_data.get("name") if form.is_bound and form.is_valid() else None,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/locations/import_chargers.html", context)

    def template_view(self, request):
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="chargers-template.csv"'
        return response


@admin.register(Connector)
class ConnectorAdmin(_OwnDataAdmin):
    form = ConnectorAdminForm
    list_display = [
        "__str__",
        "connector_id",
        "standard",
        "format",
        "power_type",
        "max_voltage",
        "max_amperage",
        "tariffs",
        "last_updated",
    ]
    list_filter = ["standard", "power_type", TariffIdFilter, ConnectorOwnershipFilter]
    list_select_related = ["evse__location"]
    search_fields = ["evse__evse_id", "evse__internal_id", "evse__uid", "connector_id"]
    raw_id_fields = ["evse"]
    readonly_fields = ["last_updated", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "evse", "connector_id"] if obj else self.readonly_fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="tariff ids")
    def tariffs(self, obj):
        return ", ".join(obj.tariff_ids or []) or "-"

    def save_model(self, request, obj, form, change):
        csms.connector_save_own(connector=obj, changed_fields=form.changed_data, created=not change)
