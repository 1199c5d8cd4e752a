"""Admin of commands, both sides: what our eMSP sent (and support staff sending a command for a driver on the phone:
start or stop a session, unlock a connector) and what our CPO received, with both answers and their timing. Commands
are records, never edited; the only changes are sending one and a CPO cancelling a reservation, each through its
service and its permission."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from roaming.commands import selectors
from roaming.commands.choices import CommandType
from roaming.commands.models import Command
from roaming.commands.services import cpo, emsp
from roaming.commands.services.common import first_text
from roaming.core.admin import ModelAdmin
from roaming.core.exceptions import DomainError
from roaming.locations.models import Connector
from roaming.ocpi.choices import TokenType
from roaming.sessions.choices import FINAL_STATUSES
from roaming.sessions.models import ChargingSession


def _seconds(start, end) -> str:
    if not start or not end:
        return "—"
    return f"{(end - start).total_seconds():.1f} s"


class ConnectorChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        location = obj.evse.location
        return (
            f"{location.source_partner} · {location.name or location.location_id} · "
            f"EVSE {obj.evse.evse_id or obj.evse.uid} · connector {obj.connector_id}"
        )


class SessionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        where = f"{obj.location_id}/{obj.evse_uid}"
        return f"{obj.session_id} · token {obj.token_uid} · {where} · since {obj.start_date_time:%Y-%m-%d %H:%M} UTC"


class SendCommandForm(forms.Form):
    """What support staff pick: the command, the driver's token, the connector or the session."""

    command = forms.ChoiceField(
        choices=[
            (CommandType.START_SESSION, CommandType.START_SESSION.label),
            (CommandType.STOP_SESSION, CommandType.STOP_SESSION.label),
            (CommandType.UNLOCK_CONNECTOR, CommandType.UNLOCK_CONNECTOR.label),
        ]
    )
    token_uid = forms.CharField(label="Driver's token (uid)", max_length=36, required=False)
    token_type = forms.ChoiceField(choices=TokenType.choices, initial=TokenType.RFID, required=False)
    connector = ConnectorChoice(
        queryset=Connector.objects.filter(evse__location__source_partner__isnull=False)
        .select_related("evse__location__source_partner")
        .order_by("evse__location__source_partner__name", "evse__location__name", "evse__uid", "connector_id"),
        required=False,
        help_text="For start and unlock: the partner's location, EVSE and connector",
    )
    session = SessionChoice(
        queryset=ChargingSession.objects.filter(source_partner__isnull=False)
        .exclude(status__in=FINAL_STATUSES)
        .order_by("-start_date_time"),
        required=False,
        help_text="For stop: one of our drivers' live sessions",
    )

    def clean(self):
        data = super().clean()
        command = data.get("command")
        if command in (CommandType.START_SESSION, CommandType.UNLOCK_CONNECTOR) and not data.get("connector"):
            self.add_error("connector", "Pick the connector.")
        if command == CommandType.START_SESSION and not data.get("token_uid"):
            self.add_error("token_uid", "Give the driver's token.")
        if command == CommandType.STOP_SESSION and not data.get("session"):
            self.add_error("session", "Pick the session to stop.")
        return data

    def params(self) -> tuple[dict, int | None]:
        data = self.cleaned_data
        if data["command"] == CommandType.STOP_SESSION:
            return {"session_id": data["session"].session_id}, data["session"].source_partner_id
        connector = data["connector"]
        params = {
            "location_id": connector.evse.location.location_id,
            "evse_uid": connector.evse.uid,
            "connector_id": connector.connector_id,
            "token_uid": data.get("token_uid") or "",
            "token_type": data.get("token_type") or TokenType.RFID,
        }
        return params, connector.evse.location.source_partner_id


class RoleFilter(admin.SimpleListFilter):
    title = "side"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("EMSP", "Sent by our eMSP"), ("CPO", "Received by our CPO")]

    def queryset(self, request, queryset):
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(Command)
class CommandAdmin(ModelAdmin):
    list_display = [
        "created_at",
        "side",
        "type",
        "partner",
        "target",
        "response_result",
        "result_display",
        "timing",
    ]
    list_filter = [RoleFilter, "type", "status", "response_result", "result", "late_result", "partner"]
    search_fields = ["uid", "token_uid", "contract_id", "session_id", "reservation_id", "location_id", "evse_uid"]
    list_select_related = ["partner"]
    date_hierarchy = "created_at"
    actions = ["cancel_reservation"]
    readonly_fields = [f.name for f in Command._meta.fields] + [
        "response_text",
        "result_text",
        "response_time",
        "session_link",
    ]
    fieldsets = [
        (None, {"fields": ["uid", "role", "type", "partner", "status", "requested_by"]}),
        (
            "About",
            {
                "fields": [
                    "location_id",
                    "evse_uid",
                    "connector_id",
                    "session_id",
                    "reservation_id",
                    "token_uid",
                    "token_type",
                    "contract_id",
                    "authorization_reference",
                    "session_link",
                ]
            },
        ),
        ("Response", {"fields": ["response_result", "response_timeout", "response_text", "ocpi_status", "error"]}),
        ("Result", {"fields": ["result", "result_text", "late_result"]}),
        ("Timing", {"fields": ["sent_at", "responded_at", "response_time", "result_at", "timed_out_at", "deadline"]}),
        ("As sent", {"classes": ["collapse"], "fields": ["request", "response_url"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="about")
    def target(self, obj) -> str:
        if obj.session_id:
            return f"session {obj.session_id}"
        if obj.reservation_id and obj.type == CommandType.CANCEL_RESERVATION:
            return f"reservation {obj.reservation_id}"
        if not obj.location_id:
            return "—"
        where = " #".join(part for part in (obj.evse_uid, obj.connector_id) if part)
        return format_html("{}<br>{}", obj.location_id, where) if where else obj.location_id

    @admin.display(description="result", ordering="result")
    def result_display(self, obj) -> str:
        if not obj.result:
            return obj.get_status_display() if obj.status != "DONE" else "—"
        late = " (late)" if obj.late_result else ""
        return f"{obj.get_result_display()}{late}"

    @admin.display(description="side", ordering="role")
    def side(self, obj) -> str:
        return "sent" if obj.role == "EMSP" else "received"

    @admin.display(description="answered in")
    def response_time(self, obj) -> str:
        return _seconds(obj.sent_at, obj.responded_at)

    @admin.display(description="answer / result after")
    def timing(self, obj) -> str:
        if obj.timed_out_at and not obj.result_at:
            return f"{_seconds(obj.sent_at, obj.responded_at)} / timed out"
        return f"{_seconds(obj.sent_at, obj.responded_at)} / {_seconds(obj.sent_at, obj.result_at)}"

    @admin.display(description="charging session")
    def session_link(self, obj) -> str:
        """The session the command started, stopped or reserved (on our eMSP side: the CPO's Session carrying the
        authorization_reference we sent)."""
        session = selectors.command_session(command=obj)
        if session is None:
            return "—"
        url = reverse("admin:charging_sessions_chargingsession_change", args=[session.pk])
        return format_html('<a href="{}">{} ({})</a>', url, session.session_id, session.get_status_display())

    @admin.display(description="message")
    def response_text(self, obj) -> str:
        return first_text(obj.response_message) or "—"

    @admin.display(description="message")
    def result_text(self, obj) -> str:
        return first_text(obj.result_message) or "—"

    @admin.action(description="Cancel the selected reservations (as CPO)", permissions=["cancel"])
    def cancel_reservation(self, request, queryset):
        done = 0
        for command in queryset.select_related("charging_session"):
            try:
                cpo.reservation_cancel_by_cpo(command=command)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{command}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} reservation(s) cancelled; the eMSPs are told.", messages.SUCCESS)

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("commands.change_command")

    def get_urls(self):
        return [
            path("send/", self.admin_site.admin_view(self.send_view), name="commands_command_send"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_send": request.user.has_perm("commands.add_command")}
        return super().changelist_view(request, extra_context)

    def send_view(self, request):
        """Support staff send a command for a driver (POST, then redirect to the command)."""
        if not request.user.has_perm("commands.add_command"):
            raise PermissionDenied
        form = SendCommandForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            params, partner_id = form.params()
            try:
                command = emsp.command_send(
                    command_type=form.cleaned_data["command"],
                    params=params,
                    partner_id=partner_id,
                    requested_by=request.user.get_username(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                level = messages.SUCCESS if command.response_result == "ACCEPTED" else messages.ERROR
                answer = command.get_response_result_display() or command.error or command.get_status_display()
                self.message_user(request, format_html("{}: {}", command.get_type_display(), answer), level)
                return redirect(reverse("admin:commands_command_change", args=[command.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Send a command for a driver",
            "form": form,
        }
        return TemplateResponse(request, "admin/commands/send_command.html", context)
