"""Partner onboarding in the admin: invite, register, rotate, unregister, suspend; roles, endpoints, events."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.core import crypto
from roaming.core.admin import ModelAdmin, TabularInline
from roaming.core.exceptions import DomainError
from roaming.core.text import plural
from roaming.ocpi import registry
from roaming.ocpi.pull import pull_modules
from roaming.ocpi.queueing import publish_on_commit
from roaming.ocpi.tasks import sync_pull_task
from roaming.partners import services, tasks
from roaming.partners.choices import PartnerStatus
from roaming.partners.forms import InviteForm, RegisterForm
from roaming.partners.models import Partner, PartnerEndpoint, PartnerEvent, PartnerRole, PartnerToken


class PartnerRoleInline(TabularInline):
    model = PartnerRole
    extra = 0
    fields = ["country_code", "party_id", "role", "business_name", "business_website"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PartnerEndpointInline(TabularInline):
    model = PartnerEndpoint
    extra = 0
    fields = ["identifier", "role", "url"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PartnerTokenInline(TabularInline):
    model = PartnerToken
    extra = 0
    fields = ["kind", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "tokens we issued (stored hashed)"

    def has_add_permission(self, request, obj=None):
        return False


class PartnerEventInline(TabularInline):
    model = PartnerEvent
    extra = 0
    fields = ["created_at", "action", "success", "message"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "history (handshake steps and failures)"

    def has_add_permission(self, request, obj=None):
        return False


def _invitation_key(partner_id: int) -> str:
    return f"partners:invitation:{partner_id}"


def _enqueue(task, partner_ids):
    # Enqueue after commit so the worker sees what the admin just saved; a broker outage is logged, not a crash.
    for pk in partner_ids:
        publish_on_commit(task, (pk,))


@admin.register(Partner)
class PartnerAdmin(ModelAdmin):
    list_display = ["name", "status_badge", "roles_display", "version", "initiated_by", "last_contact", "failures"]
    list_filter = ["status", "initiated_by", "version", "roles__role"]
    search_fields = ["name", "roles__party_id", "roles__country_code", "versions_url"]
    readonly_fields = [
        "status",
        "initiated_by",
        "versions_url",
        "version",
        "registered_at",
        "last_success_at",
        "last_failure_at",
        "last_error",
        "created_at",
        "updated_at",
        "traffic_link",
        "pushes",
    ]
    fields = [
        "name",
        "website",
        "status",
        "initiated_by",
        "versions_url",
        "version",
        "token_encoding",
        "token_type_field",
        "registered_at",
        "last_success_at",
        "last_failure_at",
        "last_error",
        "traffic_link",
        "pushes",
        "notes",
        "created_at",
        "updated_at",
    ]
    inlines = [PartnerRoleInline, PartnerEndpointInline, PartnerTokenInline, PartnerEventInline]
    actions = [
        "action_register",
        "action_rotate",
        "action_refresh_endpoints",
        "action_pull_now",
        "action_schedule_pulls",
        "action_unregister",
        "action_suspend",
        "action_reactivate",
    ]
    change_list_template = "admin/partners/partner/change_list.html"
    change_form_template = "admin/partners/partner/change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("roles")
            .annotate(failed_events=Count("events", filter=Q(events__success=False)))
        )

    def has_add_permission(self, request):
        return False  # partners come from an invitation or a registration, never from a blank form

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        colours = {
            PartnerStatus.REGISTERED: "#080",
            PartnerStatus.INVITED: "#a60",
            PartnerStatus.REGISTERING: "#a60",
            PartnerStatus.SUSPENDED: "#b00",
            PartnerStatus.UNREGISTERED: "#777",
        }
        return format_html('<b style="color:{}">{}</b>', colours.get(obj.status, "#000"), obj.status)

    @admin.display(description="roles")
    def roles_display(self, obj):
        return ", ".join(f"{r.country_code}/{r.party_id} {r.role}" for r in obj.roles.all()) or "-"

    @admin.display(description="last contact")
    def last_contact(self, obj):
        if obj.last_failure_at and (not obj.last_success_at or obj.last_failure_at > obj.last_success_at):
            return format_html(
                '<span style="color:#b00" title="{}">failed {}</span>',
                obj.last_error,
                obj.last_failure_at.strftime("%Y-%m-%d %H:%M"),
            )
        return obj.last_success_at.strftime("%Y-%m-%d %H:%M") if obj.last_success_at else "-"

    @admin.display(description="failed steps", ordering="failed_events")
    def failures(self, obj):
        return obj.failed_events

    @admin.display(description="traffic log")
    def traffic_link(self, obj):
        url = reverse("admin:ocpi_trafficlog_changelist") + f"?partner__id__exact={obj.pk}"
        return format_html('<a href="{}">All OCPI calls with this partner</a>', url)

    @admin.display(description="pushes (outbox)")
    def pushes(self, obj):
        counts = dict(obj.outbox.values_list("status").annotate(n=Count("id")).order_by())
        base = reverse("admin:ocpi_outboxmessage_changelist") + f"?partner__id__exact={obj.pk}"
        parts = [
            format_html('<a href="{}&status__exact={}">{} {}</a>', base, status, counts.get(status, 0), status)
            for status in ("pending", "delivered", "failed")
        ]
        runs = reverse("admin:ocpi_syncrun_changelist") + f"?partner__id__exact={obj.pk}"
        return format_html('{} · {} · {} — <a href="{}">pull history</a>', *parts, runs)

    # --- custom pages ----------------------------------------------------------------------------------------
    def get_urls(self):
        return [
            path("invite/", self.admin_site.admin_view(self.invite_view), name="partners_partner_invite"),
            path(
                "<path:object_id>/invitation/",
                self.admin_site.admin_view(self.invitation_view),
                name="partners_partner_invitation",
            ),
            path(
                "<path:object_id>/retry-registration/",
                self.admin_site.admin_view(self.retry_registration_view),
                name="partners_partner_retry_registration",
            ),
            path("register/", self.admin_site.admin_view(self.register_view), name="partners_partner_register"),
            *super().get_urls(),
        ]

    def invite_view(self, request):
        """POST creates the invitation and redirects (POST/redirect/GET): reloading the result page never
        creates another partner. The token crosses the redirect encrypted in the session and is shown once."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            partner, token = services.partner_invite(
                name=form.cleaned_data["name"], website=form.cleaned_data["website"]
            )
            request.session[_invitation_key(partner.pk)] = crypto.encrypt(token)
            return redirect("admin:partners_partner_invitation", partner.pk)
        context = {**self.admin_site.each_context(request), "title": "Invite a partner", "form": form}
        return TemplateResponse(request, "admin/partners/partner/invite.html", {**context, "opts": self.model._meta})

    def invitation_view(self, request, object_id):
        """The invitation just created: versions URL and token A, shown on the first display only."""
        partner = get_object_or_404(Partner, pk=object_id)
        if not self.has_change_permission(request, partner):
            return redirect("admin:index")
        sealed = request.session.pop(_invitation_key(partner.pk), None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "partner": partner,
            "token": crypto.decrypt(sealed) if sealed else None,
            "versions_url": registry.versions_url(),
            "title": f"Invitation for {partner.name}",
        }
        return TemplateResponse(request, "admin/partners/partner/invitation.html", context)

    def retry_registration_view(self, request, object_id):
        """POST: run the handshake again for a partner whose registration failed."""
        partner = get_object_or_404(Partner, pk=object_id)
        if request.method != "POST" or not self.has_change_permission(request, partner):
            return redirect("admin:partners_partner_change", partner.pk)
        if partner.status not in (PartnerStatus.REGISTERING, PartnerStatus.UNREGISTERED):
            self.message_user(request, f"{partner} is {partner.get_status_display()}: nothing to retry.", messages.INFO)
        else:
            _enqueue(tasks.partner_register_task, [partner.pk])
            self._report_registration(request, partner)
        return redirect("admin:partners_partner_change", partner.pk)

    def _report_registration(self, request, partner):
        """Say what happened: with tasks run in-process the handshake is over by now; with a worker it runs."""
        partner.refresh_from_db()
        if partner.status == PartnerStatus.REGISTERED:
            self.message_user(request, f"Registered with {partner}.", messages.SUCCESS)
        elif partner.last_failure_at and partner.last_error:
            self.message_user(request, f"Registration failed: {partner.last_error}", messages.ERROR)
        else:
            self.message_user(request, "Registration started; this page shows how it ends.", messages.INFO)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["registration_failed"] = obj.status in (
                PartnerStatus.REGISTERING,
                PartnerStatus.UNREGISTERED,
            ) and bool(obj.last_error and obj.last_failure_at)
            context["can_retry"] = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def register_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = RegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                partner = services.partner_create_outbound(**form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                _enqueue(tasks.partner_register_task, [partner.pk])
                self._report_registration(request, partner)
                return redirect("admin:partners_partner_change", partner.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Register with a partner",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/partners/partner/register.html", context)

    # --- actions ---------------------------------------------------------------------------------------------
    def _queue(self, request, queryset, task, allowed, label):
        ok = [p.pk for p in queryset if p.status in allowed]
        skipped = queryset.count() - len(ok)
        _enqueue(task, ok)
        if ok:
            self.message_user(request, f"{label} started for {plural(len(ok), 'partner')}; see each partner's history.")
        if skipped:
            self.message_user(
                request, f"{plural(skipped, 'partner')} skipped: not in a state that allows it.", messages.WARNING
            )

    @admin.action(description="Register (run the credentials handshake)", permissions=["change"])
    def action_register(self, request, queryset):
        self._queue(
            request,
            queryset,
            tasks.partner_register_task,
            {PartnerStatus.REGISTERING, PartnerStatus.UNREGISTERED},
            "Registration",
        )

    @admin.action(description="Rotate credentials (PUT)", permissions=["change"])
    def action_rotate(self, request, queryset):
        self._queue(request, queryset, tasks.partner_rotate_credentials_task, {PartnerStatus.REGISTERED}, "Rotation")

    @admin.action(description="Refresh endpoints (re-read version details)", permissions=["change"])
    def action_refresh_endpoints(self, request, queryset):
        self._queue(request, queryset, tasks.partner_refresh_endpoints_task, {PartnerStatus.REGISTERED}, "Refresh")

    @admin.action(description="Pull now (every module it sends that we ingest)", permissions=["change"])
    def action_pull_now(self, request, queryset):
        started = 0
        for partner in queryset.filter(status=PartnerStatus.REGISTERED).prefetch_related("endpoints"):
            for module in pull_modules():
                if any(e.identifier == module and e.role == "SENDER" for e in partner.endpoints.all()):
                    publish_on_commit(sync_pull_task, (partner.pk, module))
                    started += 1
        self.message_user(request, f"{started} pull(s) started; see the pull history.")

    @admin.action(description="Schedule hourly pulls (editable under Periodic tasks)", permissions=["change"])
    def action_schedule_pulls(self, request, queryset):
        for partner in queryset.filter(status=PartnerStatus.REGISTERED):
            for module in pull_modules():
                try:
                    services.partner_schedule_pull(partner=partner, module=module)
                except DomainError:
                    continue
                self.message_user(request, f"{partner}: {module} pulled every hour.")

    @admin.action(description="Unregister (DELETE credentials)", permissions=["change"])
    def action_unregister(self, request, queryset):
        self._queue(request, queryset, tasks.partner_unregister_task, {PartnerStatus.REGISTERED}, "Unregistering")

    @admin.action(description="Suspend (refuse its calls, stop pushing)", permissions=["change"])
    def action_suspend(self, request, queryset):
        self._direct(request, queryset, services.partner_suspend, "suspended")

    @admin.action(description="Reactivate", permissions=["change"])
    def action_reactivate(self, request, queryset):
        self._direct(request, queryset, services.partner_reactivate, "reactivated")

    def _direct(self, request, queryset, service, done):
        for partner in queryset:
            try:
                service(partner=partner)
            except DomainError as exc:
                self.message_user(request, f"{partner}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{partner} {done}.")


@admin.register(PartnerEvent)
class PartnerEventAdmin(ModelAdmin):
    list_display = ["created_at", "partner", "action", "success", "message"]
    list_filter = ["success", "action", "partner"]
    list_select_related = ["partner"]
    search_fields = ["message"]
    readonly_fields = ["partner", "created_at", "action", "success", "message"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the partner's history is an audit record
