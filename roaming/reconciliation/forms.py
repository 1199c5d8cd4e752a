from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

from roaming.reconciliation.choices import Module


def _first_of_month():
    return timezone.localdate().replace(day=1)


class ReconcileForm(forms.Form):
    """Start a run from the partner page: module and period (whole days, UTC), repair, and optionally a daily
    schedule (edited later in Periodic tasks)."""

    module = forms.ChoiceField(choices=Module.choices, initial=Module.CDRS)
    date_from = forms.DateField(
        label="From (first day)", initial=_first_of_month, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To (last day, included)", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    repair = forms.BooleanField(
        required=False, help_text="Fetch what we miss or hold outdated, POST lost CDRs again, full-pull removals"
    )
    schedule = forms.BooleanField(required=False, label="Also reconcile this module every night")
    schedule_days = forms.IntegerField(
        min_value=1, max_value=93, initial=2, label="Nightly period (days back)", required=False
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return cleaned

    def period(self) -> tuple[datetime, datetime]:
        """``[date_from 00:00 UTC, the day after date_to 00:00 UTC)``."""
        start = datetime.combine(self.cleaned_data["date_from"], time.min, tzinfo=UTC)
        end = datetime.combine(self.cleaned_data["date_to"] + timedelta(days=1), time.min, tzinfo=UTC)
        return start, end
