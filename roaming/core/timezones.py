"""Which time zone staff read times in: their own choice (kept in the session), else the operator's
(``TIME_ZONE`` setting, from ``OPERATOR_TIME_ZONE``). Stored times are UTC whatever is shown (``USE_TZ``)."""

import zoneinfo
from functools import lru_cache

from django import forms
from django.conf import settings
from django.utils import timezone

from roaming.core.admin import StaffForm

SESSION_KEY = "staff_time_zone"


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class StaffTimeZoneMiddleware:
    """Activate the time zone a staff user chose for this request (after the session middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()  # the operator's zone, settings.TIME_ZONE
        return self.get_response(request)


class TimeZoneForm(StaffForm):
    time_zone = forms.ChoiceField(label="Show times in")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        operator = settings.TIME_ZONE
        self.fields["time_zone"].choices = [("", f"The operator's time zone ({operator})")] + [
            (name, name) for name in time_zone_names()
        ]
        self.fields["time_zone"].required = False


def staff_time_zone_view(request):
    """``/admin/time-zone/``: a staff user picks the zone the admin shows times in (kept in the session)."""
    from django.contrib import admin
    from django.shortcuts import redirect
    from django.template.response import TemplateResponse
    from django.utils.http import url_has_allowed_host_and_scheme

    next_url = request.POST.get("next") or request.GET.get("next") or request.META.get("HTTP_REFERER") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/admin/"
    form = TimeZoneForm(request.POST or None, initial={"time_zone": request.session.get(SESSION_KEY, "")})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["time_zone"]:
            request.session[SESSION_KEY] = form.cleaned_data["time_zone"]
        else:
            request.session.pop(SESSION_KEY, None)
        return redirect(next_url)
    context = {**admin.site.each_context(request), "title": "Time zone", "form": form, "next": next_url}
    return TemplateResponse(request, "admin/time_zone.html", context)
