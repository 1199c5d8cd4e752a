"""Finance review of CDRs, both roles: the list with its filters, totals per currency and CSV/XLSX export, and the
CDR page (location, token, periods, cost breakdown, our recomputation beside the CPO's figures, delivery, history)
with disputes and credits. CDRs are read-only here: every change is an action that calls a service."""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from roaming.cdrs import selectors, services
from roaming.cdrs.admin.exports import CdrResource
from roaming.cdrs.admin.forms import CommentForm, CreditForm, ResolveForm
from roaming.cdrs.choices import Direction, DisputeState, ReviewStatus
from roaming.cdrs.models import COSTS, Cdr
from roaming.core.admin import ExportForm, ModelAdmin
from roaming.core.exceptions import DomainError

STATUS_COLOURS = {
    ReviewStatus.OK: "#2e7d32",
    ReviewStatus.FLAGGED: "#b26a00",
    ReviewStatus.DISPUTED: "#c62828",
    ReviewStatus.CREDITED: "#616161",
}


class PeriodFilter(admin.SimpleListFilter):
    """The month a session started in (the operator's time zone), for monthly invoicing."""

    title = "period"
    parameter_name = "period"

    def lookups(self, request, model_admin):
        months = (
            model_admin.get_queryset(request)
            .annotate(month=TruncMonth("start_date_time"))
            .order_by("-month")
            .values_list("month", flat=True)
            .distinct()[:24]
        )
        return [(month.strftime("%Y-%m"), month.strftime("%B %Y")) for month in months if month]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first = dt.datetime.strptime(self.value(), "%Y-%m")
        except ValueError:
            return queryset.none()
        start = timezone.make_aware(first)
        end = timezone.make_aware(first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1))
        return queryset.filter(start_date_time__gte=start, start_date_time__lt=end)


class CountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        countries = model_admin.get_queryset(request).order_by().values_list("location_country", flat=True)
        return [(c, c) for c in sorted(set(countries))]

    def queryset(self, request, queryset):
        return queryset.filter(location_country=self.value()) if self.value() else queryset


class CurrencyFilter(CountryFilter):
    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        currencies = model_admin.get_queryset(request).order_by().values_list("currency", flat=True)
        return [(c, c) for c in sorted(set(currencies))]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


@admin.register(Cdr)
class CdrAdmin(ExportMixin, ModelAdmin):
    resource_classes = [CdrResource]
    export_form_class = ExportForm  # the theme's widgets on the export page
    formats = [CSV, XLSX]
    change_list_template = "admin/cdrs/cdr/change_list.html"
    change_form_template = "admin/cdrs/cdr/change_form.html"
    list_display = (
        "cdr_id",
        "direction",
        "partner",
        "start_date_time",
        "location_country",
        "currency",
        "total_energy",
        "total_cost_excl_vat",
        "total_cost_incl_vat",
        "status",
        "price_check",
    )
    list_filter = (
        ("partner", admin.RelatedOnlyFieldListFilter),
        "direction",
        PeriodFilter,
        CountryFilter,
        CurrencyFilter,
        "review_status",
    )
    list_select_related = ("partner",)
    search_fields = ("cdr_id", "session_id", "authorization_reference", "credit_reference_id")
    date_hierarchy = None
    fieldsets = (
        (None, {"fields": ("cdr_id", "country_code", "party_id", "direction", "partner", "status")}),
        ("Session", {"fields": ("start_date_time", "end_date_time", "session_id", "auth_method", "meter_id")}),
        ("Totals", {"fields": ("currency", "total_energy", "total_time", "total_parking_time", "remark")}),
        (
            "Review",
            {"fields": ("price_check", "price_difference", "dispute_state", "accepted_by_hand", "received_at")},
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [name for fieldset in self.fieldsets for name in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="status", ordering="review_status")
    def status(self, cdr: Cdr):
        label = cdr.get_review_status_display()
        if cdr.credit:
            label = f"{label} (credit CDR)"
        return format_html(
            '<strong class="cdr-status cdr-status-{}" style="color: {}">{}</strong>',
            cdr.review_status,
            STATUS_COLOURS.get(cdr.review_status, "inherit"),
            label,
        )

    # --- list with totals -----------------------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["cdr_totals"] = selectors.cdr_totals(changelist.queryset)
        return response

    # --- the CDR page ----------------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cdr = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if cdr is not None:
            can_change = self.has_change_permission(request, cdr)
            context.update(
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                cdr=cdr,
                costs=[(label, *self._price(cdr, prefix)) for prefix, label in COSTS],
                periods=selectors.cdr_period_rows(cdr=cdr),
                comparison=selectors.price_comparison_rows(cdr.price_check_report),
                deliveries=selectors.cdr_deliveries(cdr=cdr) if cdr.direction == Direction.SENT else [],
                events=cdr.events.select_related("user"),
                linked=self._linked(cdr),
                can_dispute=can_change and cdr.dispute_state != DisputeState.OPEN,
                can_resolve=can_change and cdr.dispute_state == DisputeState.OPEN,
                can_credit=can_change
                and cdr.direction == Direction.SENT
                and not cdr.credit
                and not cdr.credit_cdrs.exists(),
                dispute_form=CommentForm(),
                resolve_form=ResolveForm(),
                credit_form=CreditForm(),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    @staticmethod
    def _price(cdr: Cdr, prefix: str):
        return getattr(cdr, f"{prefix}_excl_vat"), getattr(cdr, f"{prefix}_incl_vat")

    @staticmethod
    def _linked(cdr: Cdr) -> list[tuple[str, Cdr]]:
        links = []
        if cdr.credited_cdr_id:
            links.append(("Credits", cdr.credited_cdr))
        if cdr.corrects_id:
            links.append(("Corrects", cdr.corrects))
        links += [("Credited by", c) for c in cdr.credit_cdrs.all()]
        links += [("Corrected by", c) for c in cdr.corrected_cdrs.all()]
        return links

    # --- actions (POST, then back to the CDR page) -----------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/dispute/", view(self.dispute_view), name="cdrs_cdr_dispute"),
            path("<int:pk>/resolve/", view(self.resolve_view), name="cdrs_cdr_resolve"),
            path("<int:pk>/credit/", view(self.credit_view), name="cdrs_cdr_credit"),
            *super().get_urls(),
        ]

    def _act(self, request, pk: int, form_class, action, success: str):
        cdr = get_object_or_404(Cdr, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, cdr):
            raise PermissionDenied
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        else:
            try:
                action(cdr, form.cleaned_data)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, success)
        return redirect(reverse("admin:cdrs_cdr_change", args=[pk]))

    def dispute_view(self, request, pk: int):
        return self._act(
            request,
            pk,
            CommentForm,
            lambda cdr, data: services.cdr_dispute_open(cdr_pk=cdr.pk, user=request.user, comment=data["comment"]),
            "Dispute opened.",
        )

    def resolve_view(self, request, pk: int):
        return self._act(
            request,
            pk,
            ResolveForm,
            lambda cdr, data: services.cdr_dispute_resolve(
                cdr_pk=cdr.pk, user=request.user, outcome=data["outcome"], comment=data["comment"]
            ),
            "Dispute resolved.",
        )

    def credit_view(self, request, pk: int):
        def credit(cdr, data):
            correction = None
            if data["correction"] == "reprice":
                correction = services.Correction(reprice=True)
            elif data["correction"] == "manual":
                correction = services.Correction(
                    total_cost_excl_vat=data["total_cost_excl_vat"], total_cost_incl_vat=data["total_cost_incl_vat"]
                )
            services.cdr_credit(cdr_pk=cdr.pk, user=request.user, comment=data["comment"], correction=correction)

        return self._act(request, pk, CreditForm, credit, "CDR credited; the eMSP gets the new CDR(s) by POST.")
