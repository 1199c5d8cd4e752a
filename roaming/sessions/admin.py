"""Admin of charging sessions: our drivers' sessions at partners' chargers (the eMSP view, the default) and the
sessions at our own chargers (the CPO view), live and past; each with its periods, the cost so far and, for our
drivers, our own estimate from the tariff we hold beside the CPO's figure. Read-only: sessions are the CPO's data
(or our CSMS's), never edited by hand."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from roaming.core.admin import ModelAdmin
from roaming.ocpi.admin_filters import OwnDataFilter
from roaming.sessions import selectors
from roaming.sessions.choices import FINAL_STATUSES
from roaming.sessions.models import ChargingSession
from roaming.tariffs.pricing import format_money


class SideFilter(OwnDataFilter):
    title = "side"
    parameter_name = "side"
    default = "received"
    own_label = "At our chargers (we are the CPO)"
    received_label = "Our drivers (sessions partners sent us)"


class LiveFilter(admin.SimpleListFilter):
    title = "live or past"
    parameter_name = "live"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("past", "Past (completed or invalid)")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.exclude(status__in=FINAL_STATUSES)
        if self.value() == "past":
            return queryset.filter(status__in=FINAL_STATUSES)
        return queryset


def _money(amount, currency: str) -> str:
    return "—" if amount is None else format_money(amount, currency)


@admin.register(ChargingSession)
class ChargingSessionAdmin(ModelAdmin):
    list_display = (
        "session_id",
        "status",
        "start_date_time",
        "end_date_time",
        "token_uid",
        "contract_id",
        "location_id",
        "kwh",
        "cost_so_far",
        "source_partner",
        "token_known",
    )
    list_filter = (SideFilter, LiveFilter, "status", "source_partner", "token_known", "start_date_time")
    search_fields = ("session_id", "token_uid", "contract_id", "location_id", "evse_uid", "csms_transaction_id")
    date_hierarchy = "start_date_time"
    list_select_related = ("source_partner",)
    ordering = ("-start_date_time", "-pk")
    fieldsets = (
        (None, {"fields": ("country_code", "party_id", "session_id", "status", "start_date_time", "end_date_time")}),
        ("Driver", {"fields": ("cdr_token", "token_known", "auth_method", "authorization_reference")}),
        ("Where", {"fields": ("location_id", "evse_uid", "connector_id", "meter_id")}),
        ("Energy and cost", {"fields": ("kwh", "cost_so_far", "our_estimate", "periods_table")}),
        ("Charging preferences", {"fields": ("charging_preferences",)}),
        (
            "Bookkeeping",
            {
                "classes": ("collapse",),
                "fields": (
                    "last_updated",
                    "source_partner",
                    "received_at",
                    "csms_transaction_id",
                    "emsp_partner",
                    "created_at",
                    "updated_at",
                    "raw",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ChargingSession._meta.fields] + ["cost_so_far", "our_estimate", "periods_table"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # sessions are never deleted (mod_sessions.asciidoc, Flow and Lifecycle)

    @admin.display(description="cost so far (excl. / incl. VAT)")
    def cost_so_far(self, obj: ChargingSession) -> str:
        if obj.total_cost_excl_vat is None:
            return "—"
        return f"{_money(obj.total_cost_excl_vat, obj.currency)} / {_money(obj.total_cost_incl_vat, obj.currency)}"

    @admin.display(description="our estimate")
    def our_estimate(self, obj: ChargingSession) -> str:
        if obj.is_own:
            return "— (our own session: the cost above is ours)"
        price, how = selectors.session_estimate(session=obj)
        if price is None:
            return f"— ({how})"
        return f"{_money(price.excl_vat, obj.currency)} / {_money(price.incl_vat, obj.currency)} ({how})"

    @admin.display(description="charging periods")
    def periods_table(self, obj: ChargingSession) -> str:
        if not obj.charging_periods:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    period.get("start_date_time"),
                    ", ".join(f"{d['type']} {d['volume']}" for d in period.get("dimensions", [])),
                    period.get("tariff_id", ""),
                )
                for period in obj.charging_periods
            ),
        )
        return format_html(
            "<table><thead><tr><th>start</th><th>dimensions</th><th>tariff</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )
