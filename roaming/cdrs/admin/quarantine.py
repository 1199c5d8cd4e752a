"""The quarantine in the admin: CDRs CPOs sent that break the spec, kept raw with their problems, for finance to
accept by hand (with why) or discard; a corrected resend from the CPO releases them by itself."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from roaming.cdrs import services
from roaming.cdrs.admin.forms import ReasonForm
from roaming.cdrs.choices import QuarantineStatus
from roaming.cdrs.models import QuarantinedCdr
from roaming.core.admin import ModelAdmin
from roaming.core.exceptions import DomainError


@admin.register(QuarantinedCdr)
class QuarantinedCdrAdmin(ModelAdmin):
    change_form_template = "admin/cdrs/quarantinedcdr/change_form.html"
    list_display = ("__str__", "partner", "created_at", "problem_count", "status")
    list_filter = ("status", ("partner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("partner",)
    search_fields = ("cdr_id",)
    fields = (
        "partner",
        "country_code",
        "party_id",
        "cdr_id",
        "created_at",
        "status",
        "problem_list",
        "raw_json",
        "resolved_by",
        "resolved_at",
        "resolution_comment",
        "stored_cdr",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="problems")
    def problem_count(self, entry):
        return len(entry.problems or [])

    @admin.display(description="problems")
    def problem_list(self, entry):
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in entry.problems or [])))

    @admin.display(description="payload as sent")
    def raw_json(self, entry):
        return format_html("<pre>{}</pre>", json.dumps(entry.raw, indent=2, ensure_ascii=False))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if entry is not None:
            context.update(
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                can_resolve=entry.status == QuarantineStatus.HELD and self.has_change_permission(request, entry),
                reason_form=ReasonForm(),
            )
        return super().change_view(request, object_id, form_url, extra_context=context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/accept/", view(self.accept_view), name="cdrs_quarantinedcdr_accept"),
            path("<int:pk>/discard/", view(self.discard_view), name="cdrs_quarantinedcdr_discard"),
            *super().get_urls(),
        ]

    def _act(self, request, pk: int, action, success: str):
        entry = get_object_or_404(QuarantinedCdr, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, entry):
            raise PermissionDenied
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why.")
            return redirect(reverse("admin:cdrs_quarantinedcdr_change", args=[pk]))
        try:
            result = action(entry, form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("admin:cdrs_quarantinedcdr_change", args=[pk]))
        messages.success(request, success)
        if result is not None:
            return redirect(reverse("admin:cdrs_cdr_change", args=[result.pk]))
        return redirect(reverse("admin:cdrs_quarantinedcdr_changelist"))

    def accept_view(self, request, pk: int):
        return self._act(
            request,
            pk,
            lambda entry, reason: services.quarantine_accept(entry_id=entry.pk, user=request.user, reason=reason),
            "Accepted by hand: the CDR is stored.",
        )

    def discard_view(self, request, pk: int):
        def discard(entry, reason):
            services.quarantine_discard(entry_id=entry.pk, user=request.user, reason=reason)

        return self._act(request, pk, discard, "Discarded.")
