from django import forms

from roaming.core.admin import StaffForm
from roaming.partners.choices import TokenEncoding


class InviteForm(StaffForm):
    name = forms.CharField(max_length=100, label="Business name")
    website = forms.URLField(required=False, assume_scheme="https")
    create_anyway = forms.BooleanField(
        required=False, widget=forms.HiddenInput, help_text="Set once staff confirmed a partner of the same name"
    )

    def clean(self):
        from roaming.partners.models import Partner

        cleaned = super().clean()
        name = (cleaned.get("name") or "").strip()
        same = Partner.objects.filter(name__iexact=name).first() if name else None
        if same is not None and not cleaned.get("create_anyway"):
            # Ask once: the second submission carries create_anyway and goes through.
            self.data = self.data.copy()
            self.data["create_anyway"] = "on"
            raise forms.ValidationError(
                f"A partner named '{same.name}' already exists (status: {same.get_status_display()}). "
                "Submit again to create a second one, or open the existing partner.",
                code="duplicate_name",
            )
        return cleaned


class RegisterForm(StaffForm):
    versions_url = forms.URLField(max_length=255, label="Partner's versions URL", assume_scheme="https")
    token = forms.CharField(max_length=64, label="Token A the partner gave you", strip=True)
    name = forms.CharField(max_length=100, required=False, help_text="Optional: taken from its credentials otherwise")
    token_encoding = forms.ChoiceField(choices=TokenEncoding.choices, initial=TokenEncoding.BASE64)
