"""Tokens in the admin: our eMSP's driver tokens (filter, search, block/unblock, CSV import of card batches), the
CPO side's token cache (read-only), and every authorization decision and issued authorization."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from roaming.core.admin import ModelAdmin, StaffForm, StaffFormMixin
from roaming.ocpi.admin_filters import OwnDataFilter
from roaming.tokens.models import AuthorizationDecision, IssuedAuthorization, Token
from roaming.tokens.services import own
from roaming.tokens.services.imports import template_csv, tokens_import_csv


class TokenDataFilter(OwnDataFilter):
    def lookups(self, request, model_admin):
        return [("own", "Own (we are the eMSP)"), ("received", "Cached from eMSP partners"), ("all", "All")]


class TokenImportForm(StaffForm):
    file = forms.FileField(label="CSV file", help_text="UTF-8, header row, one row per token")
    good_rows_only = forms.BooleanField(
        required=False,
        label="Import the good rows only",
        help_text="Otherwise a file with any bad row imports nothing.",
    )


class TokenAdminForm(StaffFormMixin, forms.ModelForm):
    class Meta:
        model = Token
        fields = [
            "uid",
            "type",
            "contract_id",
            "visual_number",
            "issuer",
            "group_id",
            "valid",
            "whitelist",
            "language",
            "default_profile_type",
            "energy_contract",
        ]

    def clean(self):
        # The service's rules (eMA ID, OCPI lengths) shown on the form instead of a failed save.
        cleaned = super().clean()
        data = {name: cleaned.get(name) for name in self.Meta.fields}
        if self.instance.pk:
            data["uid"], data["type"] = self.instance.uid, self.instance.type
        try:
            own.validate_own_token(data)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages)
        return cleaned


@admin.register(Token)
class TokenAdmin(ModelAdmin):
    form = TokenAdminForm
    list_display = ["uid", "type", "contract_id", "visual_number", "issuer", "group_id", "valid", "whitelist", "party"]
    list_filter = [TokenDataFilter, "type", "valid", "whitelist", "issuer", "group_id"]
    search_fields = ["uid", "contract_id", "visual_number"]
    list_select_related = ["source_partner"]
    actions = ["block", "unblock"]
    readonly_fields = ["country_code", "party_id", "last_updated", "source_partner", "received_at", "raw"]
    show_full_result_count = False  # a COUNT(*) over 100,000s of cards on every page is wasted

    @admin.display(description="eMSP", ordering="party_id")
    def party(self, obj):
        return f"{obj.country_code}/{obj.party_id}"

    def has_change_permission(self, request, obj=None):
        # The cache is the eMSP partner's data: staff look, the partner changes it.
        return super().has_change_permission(request, obj) and (obj is None or obj.is_own)

    def has_delete_permission(self, request, obj=None):
        return False  # OCPI tokens are never deleted: block them (mod_tokens.asciidoc)

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "uid", "type"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in TokenAdminForm.Meta.fields}
        if change:
            data["uid"], data["type"] = obj.uid, obj.type
        saved, _ = own.token_save_own(data=data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def _set_valid(self, request, queryset, valid: bool):
        if not self.has_change_permission(request):
            raise PermissionDenied
        changed = own.tokens_set_valid(tokens=list(queryset.values_list("pk", flat=True)), valid=valid)
        verb = "Unblocked" if valid else "Blocked"
        self.message_user(request, f"{verb} {changed} token(s); CPO partners receive the change.", messages.SUCCESS)

    @admin.action(description="Block selected tokens (valid = false)", permissions=["change"])
    def block(self, request, queryset):
        self._set_valid(request, queryset, False)

    @admin.action(description="Unblock selected tokens (valid = true)", permissions=["change"])
    def unblock(self, request, queryset):
        self._set_valid(request, queryset, True)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="tokens_token_import"),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.template_view),
                name="tokens_token_import_template",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request):
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tokens-template.csv"'
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return redirect("admin:index")
        form = TokenImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            dry_run = request.POST.get("action") != "import"
            report = tokens_import_csv(
                file=form.cleaned_data["file"], good_rows_only=form.cleaned_data["good_rows_only"], dry_run=dry_run
            )
            level = messages.ERROR if report.refused else (messages.INFO if dry_run else messages.SUCCESS)
            self.message_user(request, report.summary(), level)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import tokens (CSV)",
            "form": form,
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tokens/import_tokens.html", context)


class _ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuthorizationDecision)
class AuthorizationDecisionAdmin(_ReadOnlyAdmin):
    list_display = [
        "created_at",
        "token_uid",
        "token_type",
        "emsp",
        "evse_uid",
        "allowed",
        "result",
        "source",
        "fell_back",
        "reason",
        "latency_ms",
    ]
    list_filter = ["allowed", "fell_back", "source", "result", "token_type", "emsp_party_id"]
    search_fields = ["token_uid", "evse_uid", "charger_id", "authorization_reference", "reason"]
    list_select_related = ["partner"]
    date_hierarchy = "created_at"

    @admin.display(description="eMSP")
    def emsp(self, obj):
        return f"{obj.emsp_country_code}/{obj.emsp_party_id}" if obj.emsp_country_code else "-"


@admin.register(IssuedAuthorization)
class IssuedAuthorizationAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "authorization_reference", "token", "allowed", "location_id", "partner"]
    list_filter = ["allowed"]
    search_fields = ["authorization_reference", "token__uid", "token__contract_id"]
    list_select_related = ["token", "partner"]
    raw_id_fields = ["token"]
