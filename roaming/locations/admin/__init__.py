"""Locations in the admin: our own chargers (edit, map CSMS ids to EVSE IDs, import a CSV) and, read-only, what
partners sent us. Saving our own data goes through ``roaming.locations.services.csms`` so partners get a push."""

import io

from django.contrib import admin, messages
from django.core.cache import cache
from django.db import models
from django.db.models import Count
from django.db.models.functions import Replace, Upper
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.core.admin import ModelAdmin, TabularInline
from roaming.core.exceptions import DomainError
from roaming.locations.admin.filters import ConnectorOwnershipFilter, EvseOwnershipFilter, TariffIdFilter
from roaming.locations.admin.forms import (
    ChargerImportForm,
    ConnectorAdminForm,
    EVSEAdminForm,
    LocationAdminForm,
    kept_upload_key,
)
from roaming.locations.evse_id import evse_id_key
from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import csms, own
from roaming.locations.services.imports import (
    chargers_import_csv,
    template_csv,
)
from roaming.ocpi.admin_filters import OwnDataFilter

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
                    cache.delete(kept_upload_key(request.user.pk, form.cleaned_data["upload"]))
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


__all__ = ["ConnectorAdmin", "ConnectorAdminForm", "EVSEAdmin", "EVSEAdminForm", "LocationAdmin", "LocationAdminForm"]
