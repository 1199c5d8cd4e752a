"""Tariffs in the admin: our own tariffs (edit, read in words, assign to connectors, try in the price calculator)
and, read-only, what partners sent us. Saving and deleting our own tariffs go through ``roaming.tariffs.services``
so partners get a push."""

import datetime as dt
import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.core.admin import ModelAdmin
from roaming.locations.services.tariff_assignment import connector_tariffs_assign, connector_tariffs_unassign
from roaming.ocpi.admin_filters import OwnDataFilter
from roaming.tariffs import pricing, selectors, services
from roaming.tariffs.admin.forms import (
    AssignForm,
    CalculatorForm,
    TariffAdminForm,
    assignment_preview,
    calculator_totals,
)
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import jsonable, tariff_to_ocpi
from roaming.tariffs.presentation import pricing_breakdown


@admin.register(Tariff)
class TariffAdmin(ModelAdmin):
    form = TariffAdminForm
    list_display = ["tariff_id", "party", "owner", "type", "currency", "in_words", "validity", "last_updated"]
    list_filter = [OwnDataFilter, "type", "currency"]
    list_select_related = ["source_partner"]
    search_fields = ["tariff_id", "party_id", "country_code"]
    ordering = ["country_code", "party_id", "tariff_id"]
    actions = ["action_assign"]
    change_list_template = "admin/tariffs/tariff/change_list.html"
    change_form_template = "admin/tariffs/tariff/change_form.html"

    # --- display ---------------------------------------------------------------------------------------------
    @admin.display(description="party")
    def party(self, obj):
        return f"{obj.country_code}/{obj.party_id}"

    @admin.display(description="owner", ordering="source_partner__name")
    def owner(self, obj):
        return "own" if obj.is_own else obj.source_partner.name

    @admin.display(description="tariff in words")
    def in_words(self, obj):
        if obj is None or not obj.pk:
            return "-"
        return selectors.tariff_description(tariff=obj)

    @admin.display(description="valid")
    def validity(self, obj):
        if not obj.start_date_time and not obj.end_date_time:
            return "always"
        start = obj.start_date_time.strftime("%Y-%m-%d %H:%M") if obj.start_date_time else "…"
        end = obj.end_date_time.strftime("%Y-%m-%d %H:%M") if obj.end_date_time else "…"
        return f"{start} – {end} UTC"

    @admin.display(description="connectors")
    def connectors_using(self, obj):
        if obj is None or not obj.pk:
            return "-"
        connectors, locations = selectors.tariff_usage(tariff=obj)
        text = f"{connectors} connector(s) at {locations} location(s)"
        if not obj.is_own:
            return text
        return format_html(
            '{} — <a href="{}">assign / unassign</a>',
            text,
            reverse("admin:tariffs_tariff_assign", args=[obj.pk]),
        )

    @admin.display(description="as sent (OCPI)")
    def ocpi_json(self, obj):
        if obj is None or not obj.pk:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(jsonable(obj.raw or tariff_to_ocpi(obj)), indent=2))

    # --- form layout -----------------------------------------------------------------------------------------
    _own_fields = (
        "tariff_id",
        "in_words",
        "currency",
        "type",
        "elements",
        "tariff_alt_text",
        "tariff_alt_url",
        ("min_price_excl_vat", "min_price_incl_vat"),
        ("max_price_excl_vat", "max_price_incl_vat"),
        ("start_date_time", "end_date_time"),
        "energy_mix",
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not obj.is_own:
            return [
                (None, {"fields": ["party", "tariff_id", "owner", "in_words", "type", "currency", "validity"]}),
                ("Received", {"fields": ["last_updated", "received_at", "connectors_using", "ocpi_json"]}),
            ]
        main = [f for f in self._own_fields if obj is not None or f != "in_words"]
        sets = [(None, {"fields": main})]
        if obj is not None:
            sets.append(("Status", {"fields": ["last_updated", "updated_at", "connectors_using"]}))
        return sets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not obj.is_own:
            return ["party", "tariff_id", "owner", "in_words", "type", "currency", "validity", "last_updated",
                    "received_at", "connectors_using", "ocpi_json"]  # fmt: skip
        # Tariff.id is immutable: a new id is a new tariff (and the old one would have to be deleted).
        return ["tariff_id", "in_words", "last_updated", "updated_at", "connectors_using"]

    def has_change_permission(self, request, obj=None):
        # A partner's tariff is the partner's: view only (it would be overwritten by its next push anyway).
        return super().has_change_permission(request, obj) and (obj is None or obj.is_own)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_own)

    # --- writes go through the services -----------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        tariff = services.tariff_save_own(data=form.ocpi_data)
        obj.pk = tariff.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        unlinked = services.tariff_delete_own(tariff=obj)
        if unlinked:
            self.message_user(request, f"{obj}: first removed from {unlinked} connector(s).")

    def delete_queryset(self, request, queryset):
        skipped = 0
        for tariff in queryset:
            if tariff.is_own:
                self.delete_model(request, tariff)
            else:
                skipped += 1
        if skipped:
            self.message_user(request, f"{skipped} partner tariff(s) left alone: they are the partner's to delete.")

    # --- custom pages ----------------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("calculator/", self.admin_site.admin_view(self.calculator_view), name="tariffs_tariff_calculator"),
            path(
                "<path:object_id>/assign/", self.admin_site.admin_view(self.assign_view), name="tariffs_tariff_assign"
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Assign to / unassign from connectors…")
    def action_assign(self, request, queryset):
        own = [t for t in queryset if t.is_own]
        if len(own) != 1:
            self.message_user(request, "Select exactly one of our own tariffs.", messages.WARNING)
            return None
        return redirect("admin:tariffs_tariff_assign", own[0].pk)

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def assign_view(self, request, object_id):
        tariff = get_object_or_404(Tariff, pk=object_id)
        if not self.has_change_permission(request, tariff):
            return redirect("admin:tariffs_tariff_change", tariff.pk)
        form = AssignForm(request.POST or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            connectors = selectors.connectors_for_assignment(**form.selection())
            if "_apply" in request.POST:
                try:
                    if form.cleaned_data["operation"] == "assign":
                        changed = connector_tariffs_assign(
                            tariff=tariff, connectors=connectors, conflicts=selectors.tariff_assignment_conflicts
                        )
                    else:
                        changed = connector_tariffs_unassign(tariff=tariff, connectors=connectors)
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    done = "assigned to" if form.cleaned_data["operation"] == "assign" else "removed from"
                    self.message_user(request, f"{tariff.tariff_id} {done} {changed} connector(s); locations pushed.")
                    return redirect("admin:tariffs_tariff_change", tariff.pk)
            preview = assignment_preview(tariff, connectors, form.cleaned_data["operation"])
        return TemplateResponse(
            request,
            "admin/tariffs/tariff/assign.html",
            self._context(
                request,
                title=f"Assign {tariff.tariff_id} to connectors",
                tariff=tariff,
                in_words=selectors.tariff_description(tariff=tariff),
                form=form,
                preview=preview,
            ),
        )

    def calculator_view(self, request):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        if "_calculate" in request.GET:
            form = CalculatorForm(request.GET)
        else:  # ?tariff=<pk> from a tariff's page preselects it
            form = CalculatorForm(initial={"tariff": request.GET.get("tariff")})
        result = rows = tariff = time_zone = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            tariff = data["tariff"]
            time_zone = data["time_zone"] or selectors.tariff_default_time_zone(tariff=tariff)
            try:
                start = data["start"].replace(tzinfo=ZoneInfo(time_zone))
                result = selectors.tariff_quote(
                    tariff=tariff,
                    start=start,
                    time_zone=time_zone,
                    duration=dt.timedelta(minutes=data["duration_minutes"]),
                    energy_kwh=data["energy_kwh"],
                    max_power_kw=data["max_power_kw"],
                    parking=dt.timedelta(minutes=data["parking_minutes"] or 0),
                )
            except (ValueError, ArithmeticError, ZoneInfoNotFoundError, pricing.TariffParseError) as exc:
                form.add_error(None, str(exc))
                result = None
            else:
                rows = pricing_breakdown(result)
        return TemplateResponse(
            request,
            "admin/tariffs/tariff/calculator.html",
            self._context(
                request,
                title="Price calculator",
                form=form,
                tariff=tariff,
                in_words=selectors.tariff_description(tariff=tariff) if tariff else "",
                time_zone=time_zone,
                result=result,
                totals=calculator_totals(result) if result else None,
                rows=rows,
            ),
        )
