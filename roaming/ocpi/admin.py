"""Traffic log in the admin: read-only, filterable by partner, direction, module, outcome and date."""

from urllib.parse import urlsplit

from django.contrib import admin
from django.db.models import Q
from django.utils.html import format_html

from roaming.core.admin import ModelAdmin
from roaming.ocpi.models import OutboxMessage, SyncRun, TrafficLog
from roaming.ocpi.push import outbox_retry
from roaming.ocpi.queueing import publish_on_commit


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("ok", "Success (1xxx)"),
            ("client", "Client error (2xxx / HTTP 4xx)"),
            ("server", "Server error (3xxx / HTTP 5xx)"),
            ("transport", "No answer (timeout, refused)"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "ok":
            return queryset.filter(http_status__lt=400).filter(Q(ocpi_status__isnull=True) | Q(ocpi_status__lt=2000))
        if value == "client":
            return queryset.filter(
                Q(ocpi_status__gte=2000, ocpi_status__lt=3000) | Q(http_status__gte=400, http_status__lt=500)
            )
        if value == "server":
            return queryset.filter(Q(ocpi_status__gte=3000) | Q(http_status__gte=500))
        if value == "transport":
            return queryset.filter(http_status__isnull=True)
        return queryset


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _shortened(text: str, limit: int, *, title: str = ""):
    """``text`` cut to ``limit`` characters; the whole of it (or ``title``) in the tooltip."""
    shown = text if len(text) <= limit else f"{text[: limit - 1]}…"
    return format_html('<span title="{}">{}</span>', title or text, shown)


@admin.register(TrafficLog)
class TrafficLogAdmin(ModelAdmin):
    # Few, narrow columns: the list must fit a 1,400 px screen; the full URL is in each link's tooltip.
    list_display = ["created_at", "partner", "call", "short_url", "ocpi_status_badge", "duration_ms"]
    list_filter = ["direction", OutcomeFilter, "module", "method", "partner", "created_at"]
    list_select_related = ["partner"]
    search_fields = ["request_id", "correlation_id", "url", "status_message", "error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in TrafficLog._meta.fields]
    list_per_page = 100
    show_full_result_count = False  # counting millions of log rows on every page view is slow

    @admin.display(description="call", ordering="module")
    def call(self, obj):
        return f"{'in' if obj.direction == TrafficLog.Direction.INBOUND else 'out'} {obj.method} {obj.module or '-'}"

    @admin.display(description="URL")
    def short_url(self, obj):
        return _shortened(_path_of(obj.url), 60, title=obj.url)

    @admin.display(description="answer (HTTP / OCPI)", ordering="ocpi_status")
    def ocpi_status_badge(self, obj):
        if obj.http_status is None:
            return format_html('<b style="color:#b00" title="{}">{}</b>', obj.error, "no answer")
        colour = "#080" if obj.succeeded else "#b00"
        return format_html('<b style="color:{}">{} / {}</b>', colour, obj.http_status, obj.ocpi_status or "-")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an audit record: only the retention prune removes it


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ModelAdmin):
    """What was pushed to whom, what is pending and what failed (with the reason); staff can retry."""

    list_display = [
        "created_at",
        "partner",
        "call",
        "status",
        "attempts",
        "next_attempt_at",
        "answer",
        "short_error",
    ]
    list_filter = ["status", "module", "method", "partner"]
    list_select_related = ["partner"]
    search_fields = ["path", "object_key", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry"]
    show_full_result_count = False

    @admin.display(description="push", ordering="module")
    def call(self, obj):
        return _shortened(f"{obj.method} {obj.module} {obj.path}", 50, title=f"{obj.method} {obj.module} {obj.path}")

    @admin.display(description="answer (HTTP / OCPI)", ordering="http_status")
    def answer(self, obj):
        return f"{obj.http_status} / {obj.ocpi_status or '-'}" if obj.http_status else "-"

    @admin.display(description="last error")
    def short_error(self, obj):
        return _shortened(obj.last_error, 60, title=obj.last_error)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry(self, request, queryset):
        count = outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} push(es) queued again.")

    def has_retry_permission(self, request):
        # The rows are read-only in the admin, but retrying changes them: it needs the model's change permission.
        return request.user.has_perm("ocpi.change_outboxmessage")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ModelAdmin):
    """Pull history per partner and module, with counts and errors; re-run from here."""

    list_display = [
        "started_at",
        "partner",
        "module",
        "status",
        "full",
        "date_from",
        "pages",
        "received",
        "accepted",
        "ignored",
        "rejected",
        "removed",
        "finished_at",
    ]
    list_filter = ["status", "module", "partner"]
    list_select_related = ["partner"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]
    actions = ["run_again"]

    @admin.action(description="Pull again now (incremental)", permissions=["pull"])
    def run_again(self, request, queryset):
        from roaming.ocpi.tasks import sync_pull_task

        pairs = set(queryset.values_list("partner_id", "module"))
        for partner_id, module in pairs:
            publish_on_commit(sync_pull_task, (partner_id, module))
        self.message_user(request, f"{len(pairs)} pull(s) started.")

    def has_pull_permission(self, request):
        return request.user.has_perm("ocpi.change_syncrun")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
