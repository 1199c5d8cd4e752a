"""The admin's building blocks, in one place: every admin class of the project derives from these.

The theme is django-unfold (its templates, widgets and assets ship in the package and are served from our static
files; nothing is loaded from the internet). Apps import ``ModelAdmin``, ``TabularInline``, ``StackedInline``,
``StaffForm`` and the widgets from here, never from ``django.contrib.admin`` or ``unfold`` directly, so a theme
change is one file.

Also here: the internal API's keys, and the third-party models staff see (users and groups, periodic tasks and their
schedules) registered again on the theme's classes, so their pages look and behave like ours.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.html import format_html
from unfold import widgets as unfold_widgets
from unfold.admin import ModelAdmin as UnfoldModelAdmin
from unfold.admin import StackedInline as UnfoldStackedInline
from unfold.admin import TabularInline as UnfoldTabularInline
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import display
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminRadioSelectWidget,
    UnfoldAdminSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from roaming.core.api_keys import api_key_create, api_key_revoke
from roaming.core.models import ApiKey

__all__ = [
    "ExportForm",
    "ModelAdmin",
    "StackedInline",
    "StaffForm",
    "StaffFormMixin",
    "TabularInline",
    "UnfoldAdminCheckboxSelectMultipleWidget",
    "UnfoldAdminDecimalFieldWidget",
    "UnfoldAdminIntegerFieldWidget",
    "UnfoldAdminRadioSelectWidget",
    "UnfoldAdminSelectMultipleWidget",
    "UnfoldAdminSelectWidget",
    "UnfoldAdminTextInputWidget",
    "UnfoldAdminTextareaWidget",
    "UnfoldBooleanSwitchWidget",
    "display",
    "style_widget",
]


class ModelAdmin(UnfoldModelAdmin):
    """Every model admin of the project. Lists use the page's full width (a 1,400 px screen shows every column)."""

    list_fullwidth = True
    warn_unsaved_form = True


class TabularInline(UnfoldTabularInline):
    pass


class StackedInline(UnfoldStackedInline):
    pass


def _classes(names) -> str:
    return " ".join(names)


def style_widget(widget: forms.Widget) -> forms.Widget:
    """Give a plain Django widget the theme's look (the theme's CSS resets unstyled inputs to bare text)."""
    if isinstance(widget, forms.HiddenInput) or "class" in widget.attrs:
        return widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        # The theme's templates put the classes on each input (Django's would also put them on the wrapper).
        names = unfold_widgets.CHECKBOX_CLASSES if isinstance(widget, forms.CheckboxSelectMultiple) else None
        widget.template_name = "unfold/widgets/radio.html"
        widget.option_template_name = "unfold/widgets/radio_option.html"
        widget.attrs["class"] = _classes(names or unfold_widgets.RADIO_CLASSES)
    elif isinstance(widget, forms.CheckboxInput):
        widget.attrs["class"] = _classes(unfold_widgets.CHECKBOX_CLASSES)
    elif isinstance(widget, forms.Select):  # SelectMultiple too
        widget.attrs["class"] = _classes(unfold_widgets.SELECT_CLASSES)
    elif isinstance(widget, forms.Textarea):
        widget.attrs["class"] = _classes(unfold_widgets.TEXTAREA_CLASSES)
    elif isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        widget.attrs["class"] = _classes(unfold_widgets.BASE_INPUT_CLASSES)
    elif isinstance(widget, forms.MultiWidget):
        for sub in widget.widgets:
            style_widget(sub)
    elif isinstance(widget, forms.widgets.Input):
        widget.attrs["class"] = _classes(unfold_widgets.INPUT_CLASSES)
    return widget


class StaffFormMixin:
    """A form outside a model admin (invite, import, calculator...) rendered in the theme's style: its widgets get
    the theme's classes; templates render it with ``{% include "admin/includes/staff_form.html" %}``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.FileInput) and not isinstance(field.widget, UnfoldAdminFileFieldWidget):
                # the theme's script expects its own file input markup (a name box beside the hidden input)
                field.widget = UnfoldAdminFileFieldWidget(attrs=field.widget.attrs)
            style_widget(field.widget)


class StaffForm(StaffFormMixin, forms.Form):
    pass


def favicon_url(request) -> str:
    """The admin's icon (settings.UNFOLD["SITE_FAVICONS"])."""
    from django.templatetags.static import static

    return static("favicon.svg")


def stylesheet_url(request) -> str:
    """Our pages' look inside the theme (settings.UNFOLD["STYLES"])."""
    from django.templatetags.static import static

    return static("roaming/admin.css")


# --- Third-party models, on the theme's classes ------------------------------------------------------------------
# roaming.core comes first in INSTALLED_APPS (its templates override the theme's), so its admin module is
# discovered before django.contrib.auth's: import that one now, so there is a registration to replace.
import django.contrib.auth.admin  # noqa: E402, F401

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin, ModelAdmin):
    pass


def _reregister_celery_beat() -> None:
    from django_celery_beat import admin as beat_admin  # registers its models (discovered after us otherwise)
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin, ModelAdmin):
        pass

    class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin, ModelAdmin):
        pass

    class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin, ModelAdmin):
        pass

    class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin, ModelAdmin):
        pass

    class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin, ModelAdmin):
        pass

    for model, model_admin in (
        (PeriodicTask, PeriodicTaskAdmin),
        (CrontabSchedule, CrontabScheduleAdmin),
        (ClockedSchedule, ClockedScheduleAdmin),
        (IntervalSchedule, IntervalScheduleAdmin),
        (SolarSchedule, SolarScheduleAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, model_admin)


@admin.register(ApiKey)
class ApiKeyAdmin(ModelAdmin):
    """Keys for the internal API: issued here (the key is shown once, on the page after saving), revoked here."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__username")
    fields = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # A key is never moved to another user or renamed into another purpose: issue a new one.
        return self.readonly_fields + (("name", "user") if obj else ())

    def save_model(self, request, obj, form, change):
        if change:
            return
        issued, key = api_key_create(user=obj.user, name=obj.name)
        obj.pk = issued.pk
        obj.prefix, obj.digest, obj.created_at = issued.prefix, issued.digest, issued.created_at
        messages.warning(
            request,
            format_html(
                "The API key for {}: <code>{}</code>. Copy it now: only its digest is kept, it cannot be shown again.",
                obj.name,
                key,
            ),
        )

    @admin.action(description="Revoke the selected keys", permissions=["change"])
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
        self.message_user(request, "Revoked: calls with those keys are refused from now on.", messages.SUCCESS)


_reregister_celery_beat()
