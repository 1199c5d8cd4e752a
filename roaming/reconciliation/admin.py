"""Reconciliation in the admin: start a run from a partner's page (module, period, repair, nightly schedule), read
each run's report (counts per kind, differences with filters, CSV export) and a partner's history of runs."""

import csv
import json

from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.core.admin import ModelAdmin
from roaming.ocpi.queueing import publish_on_commit
from roaming.partners.models import Partner
from roaming.reconciliation.choices import Action, Kind
from roaming.reconciliation.forms import ReconcileForm
from roaming.reconciliation.models import Difference, ReconciliationRun
from roaming.reconciliation.selectors import reconciliation_history, run_counts
from roaming.reconciliation.services import reconciliation_schedule, reconciliation_start
from roaming.reconciliation.tasks import reconciliation_execute_task

#: differences shown on the report page (the CSV export has them all)
PAGE = 500
FILTERS = {"kind": Kind, "action": Action}


def _filtered(run, params) -> tuple:
    differences = Difference.objects.filter(run=run)
    chosen = {}
    for name, choices in FILTERS.items():
        value = params.get(name, "")
        if value in choices.values:
            differences = differences.filter(**{name: value})
            chosen[name] = value
    state = params.get("repaired", "")
    if state in ("yes", "no"):
        differences = differences.filter(repaired=state == "yes")
        chosen["repaired"] = state
    return differences.order_by("kind", "object_id", "field", "id"), chosen


def _history(partner_id: int, limit: int) -> dict:
    """The partner's latest runs, and the largest open count among them (the scale of the history's bars)."""
    history = list(reconciliation_history(partner_id=partner_id, limit=limit))
    return {"history": history, "history_max": max([1, *(r.open_differences for r in history)])}


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ModelAdmin):
    list_display = ["started_at", "partner", "module", "period", "status", "differences_found", "repaired", "open"]
    list_filter = ["status", "module", "partner"]
    list_select_related = ["partner"]
    date_hierarchy = "started_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_count=F("differences_found") - F("repaired"))

    @admin.display(description="Period")
    def period(self, obj):
        return f"{obj.date_from:%Y-%m-%d %H:%M} – {obj.date_to:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="Open", ordering="open_count")
    def open(self, obj):
        return obj.open_differences

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("start/<int:partner_id>/", view(self.start_view), name="reconciliation_reconciliationrun_start"),
            path("<int:run_id>/report/", view(self.report_view), name="reconciliation_reconciliationrun_report"),
            path("<int:run_id>/csv/", view(self.csv_view), name="reconciliation_reconciliationrun_csv"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:reconciliation_reconciliationrun_report", int(object_id))

    def start_view(self, request, partner_id):
        """GET: the form; POST: record the run, queue it, and show its report (POST/redirect/GET)."""
        partner = get_object_or_404(Partner, pk=partner_id)
        if not request.user.has_perm("reconciliation.add_reconciliationrun"):
            self.message_user(request, "You may not start reconciliations.", messages.ERROR)
            return redirect("admin:partners_partner_change", partner.pk)
        form = ReconcileForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            date_from, date_to = form.period()
            module = form.cleaned_data["module"]
            run = reconciliation_start(
                partner_id=partner.pk,
                module=module,
                date_from=date_from,
                date_to=date_to,
                repair=form.cleaned_data["repair"],
                started_by=request.user.get_username(),
            )
            publish_on_commit(reconciliation_execute_task, (run.pk,))
            may_schedule = request.user.has_perm("django_celery_beat.add_periodictask")
            if form.cleaned_data["schedule"] and not may_schedule:
                self.message_user(request, "Not scheduled: you may not add periodic tasks.", messages.WARNING)
            elif form.cleaned_data["schedule"]:
                task = reconciliation_schedule(
                    partner=partner, module=module, days=form.cleaned_data["schedule_days"] or 2
                )
                link = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
                self.message_user(
                    request, format_html('Scheduled nightly: <a href="{}">{}</a>.', link, task.name), messages.SUCCESS
                )
            self.message_user(request, f"Reconciliation of {run.get_module_display()} started.", messages.SUCCESS)
            return redirect("admin:reconciliation_reconciliationrun_report", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reconcile with {partner}",
            "partner": partner,
            "form": form,
            **_history(partner.pk, 10),
        }
        return TemplateResponse(request, "admin/reconciliation/start.html", context)

    def report_view(self, request, run_id):
        run = get_object_or_404(ReconciliationRun.objects.select_related("partner"), pk=run_id)
        if not self.has_view_permission(request, run):
            return redirect("admin:index")
        differences, chosen = _filtered(run, request.GET)
        total = differences.count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reconciliation {run.pk}: {run}",
            "run": run,
            "counts": run_counts(run=run),
            "differences": differences[:PAGE],
            "shown": min(total, PAGE),
            "total": total,
            "chosen": chosen,
            "filters": {
                "kind": Kind.choices,
                "action": Action.choices,
                "repaired": [("yes", "Repaired"), ("no", "Not repaired")],
            },
            "query": request.GET.urlencode(),
            **_history(run.partner_id, 30),
        }
        return TemplateResponse(request, "admin/reconciliation/report.html", context)

    def csv_view(self, request, run_id):
        """The run's differences (with the report's filters) as CSV, for spreadsheets."""
        run = get_object_or_404(ReconciliationRun, pk=run_id)
        if not self.has_view_permission(request, run):
            return redirect("admin:index")
        differences, _ = _filtered(run, request.GET)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="reconciliation-{run.pk}.csv"'
        writer = csv.writer(response)
        header = ["kind", "object_id", "field", "ours", "theirs", "suggested_action", "repaired", "repair_outcome"]
        writer.writerow([*header, "repair_message"])
        for d in differences.iterator(chunk_size=2000):
            writer.writerow(
                [
                    d.kind,
                    d.object_id,
                    d.field,
                    "" if d.our_value is None else json.dumps(d.our_value),
                    "" if d.their_value is None else json.dumps(d.their_value),
                    d.action,
                    "yes" if d.repaired else "no",
                    d.repair_outcome,
                    d.repair_message,
                ]
            )
        return response
