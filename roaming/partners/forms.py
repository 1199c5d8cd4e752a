from django import forms

from roaming.partners.choices import TokenEncoding


class InviteForm(forms.Form):
    name = forms.CharField(max_length=100, label="Business name")
    website = forms.URLField(required=False, assume_scheme="https")


class RegisterForm(forms.Form):
    versions_url = forms.URLField(max_length=255, label="Partner's versions URL", assume_scheme="https")
    token = forms.CharField(max_length=64, label="Token A the partner gave you", strip=True)
    name = forms.CharField(max_length=100, required=False, help_text="Optional: taken from its credentials otherwise")
    token_encoding = forms.ChoiceField(choices=TokenEncoding.choices, initial=TokenEncoding.BASE64)
