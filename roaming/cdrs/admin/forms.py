"""Forms of finance's CDR actions (each posts to its own admin URL and calls one service)."""

from django import forms

from roaming.cdrs.choices import DisputeState
from roaming.core.admin import StaffForm


class CommentForm(StaffForm):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class ResolveForm(CommentForm):
    outcome = forms.ChoiceField(
        choices=[(DisputeState.ACCEPTED, "Accepted: the CDR stands"), (DisputeState.CREDITED, "Credited")],
        widget=forms.RadioSelect,
    )


class CreditForm(CommentForm):
    CORRECTION_CHOICES = [
        ("none", "Credit only"),
        ("reprice", "Credit, then a corrected CDR priced by our engine"),
        ("manual", "Credit, then a corrected CDR with this total cost"),
    ]
    correction = forms.ChoiceField(choices=CORRECTION_CHOICES, initial="none", widget=forms.RadioSelect)
    total_cost_excl_vat = forms.DecimalField(required=False, max_digits=18, decimal_places=4, label="excl. VAT")
    total_cost_incl_vat = forms.DecimalField(required=False, max_digits=18, decimal_places=4, label="incl. VAT")

    def clean(self):
        data = super().clean()
        if data.get("correction") == "manual" and data.get("total_cost_excl_vat") is None:
            self.add_error("total_cost_excl_vat", "Enter the corrected total cost excl. VAT")
        return data


class ReasonForm(StaffForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
