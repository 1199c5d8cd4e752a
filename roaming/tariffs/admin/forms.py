"""Forms of the tariffs admin: the tariff editor (validated as the OCPI serializer will, strict), the
assignment to connectors and the price calculator."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.exceptions import ValidationError as DrfValidationError

from roaming.core.admin import StaffForm, StaffFormMixin
from roaming.core.structured import StructuredJsonField
from roaming.locations.choices import PowerType
from roaming.locations.models import Location
from roaming.ocpi.datetimes import format_datetime
from roaming.ocpi.exceptions import flatten_errors
from roaming.ocpi.widgets import EnergyMixWidget, display_text_widget
from roaming.tariffs import pricing, selectors
from roaming.tariffs.models import Tariff
from roaming.tariffs.ocpi.render import tariff_to_ocpi
from roaming.tariffs.ocpi.serializers import validate_tariff
from roaming.tariffs.widgets import TariffElementsWidget

# --- the tariff editor ------------------------------------------------------------------------------------------


# Error paths of the OCPI serializer -> the form field that shows them.
_ERROR_FIELDS = {
    "id": "tariff_id",
    "currency": "currency",
    "type": "type",
    "tariff_alt_text": "tariff_alt_text",
    "tariff_alt_url": "tariff_alt_url",
    "min_price": "min_price_excl_vat",
    "max_price": "max_price_excl_vat",
    "elements": "elements",
    "start_date_time": "start_date_time",
    "end_date_time": "end_date_time",
    "energy_mix": "energy_mix",
}


_JSON_FIELDS = ("elements", "tariff_alt_text", "energy_mix")


def _price(excl_vat, incl_vat) -> dict | None:
    if excl_vat is None:
        return None
    return {"excl_vat": excl_vat} if incl_vat is None else {"excl_vat": excl_vat, "incl_vat": incl_vat}


class TariffAdminForm(StaffFormMixin, forms.ModelForm):
    """One of our tariffs as a form. The whole tariff is validated with the OCPI serializer (strict mode), exactly
    as ``tariff_save_own`` will; ``ocpi_data`` is what the admin hands to the service."""

    elements = StructuredJsonField(
        widget=TariffElementsWidget(),
        required=True,
        empty=[],
        help_text="Prices excl. VAT per kWh (ENERGY), per hour (TIME, PARKING_TIME) or once (FLAT); step size in Wh "
        "or seconds (1: exact).",
    )
    tariff_alt_text = StructuredJsonField(
        widget=display_text_widget(), empty=[], label="Tariff in words for drivers", help_text="One text per language"
    )
    energy_mix = StructuredJsonField(widget=EnergyMixWidget(), label="Energy mix")
    tariff_alt_url = forms.URLField(required=False, max_length=255, assume_scheme="https")

    class Meta:
        model = Tariff
        fields = [
            "tariff_id",
            "currency",
            "type",
            "elements",
            "tariff_alt_text",
            "tariff_alt_url",
            "min_price_excl_vat",
            "min_price_incl_vat",
            "max_price_excl_vat",
            "max_price_incl_vat",
            "start_date_time",
            "end_date_time",
            "energy_mix",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Stored numbers are decimal strings: show them as the OCPI numbers they are.
            self.initial["elements"] = tariff_to_ocpi(self.instance)["elements"]
        else:
            self.initial.setdefault("currency", "EUR")

    @staticmethod
    def _drop_json(cleaned: dict) -> dict:
        """On errors, keep the JSON fields (with the Decimals staff typed) away from the model's own JSON check,
        which cannot encode a Decimal and would add a misleading "Enter a valid JSON" error."""
        for name in _JSON_FIELDS:
            cleaned.pop(name, None)
        return cleaned

    def clean_tariff_id(self):
        tariff_id = self.cleaned_data["tariff_id"]
        if selectors.tariff_get(
            country_code=settings.OCPI_COUNTRY_CODE, party_id=settings.OCPI_PARTY_ID, tariff_id=tariff_id
        ):
            raise ValidationError("We already have a tariff with this id (ids are case-insensitive).")
        return tariff_id

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return self._drop_json(cleaned)
        get = cleaned.get
        data = {
            "id": get("tariff_id") or self.instance.tariff_id,
            "currency": get("currency"),
            "type": get("type") or None,
            "tariff_alt_text": get("tariff_alt_text") or None,
            "tariff_alt_url": get("tariff_alt_url") or None,
            "min_price": _price(get("min_price_excl_vat"), get("min_price_incl_vat")),
            "max_price": _price(get("max_price_excl_vat"), get("max_price_incl_vat")),
            "elements": get("elements"),
            "start_date_time": format_datetime(get("start_date_time")),
            "end_date_time": format_datetime(get("end_date_time")),
            "energy_mix": get("energy_mix") or None,
        }
        data = {key: value for key, value in data.items() if value is not None}
        try:
            # Checked as it will be pushed: our party, a last_updated (set for real by the service).
            validated = validate_tariff(
                {
                    **data,
                    "country_code": settings.OCPI_COUNTRY_CODE,
                    "party_id": settings.OCPI_PARTY_ID,
                    "last_updated": format_datetime(timezone.now()),
                },
                strict=True,
            )
        except DrfValidationError as exc:
            for message in flatten_errors(exc.detail):
                head = message.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
                field = _ERROR_FIELDS.get(head)
                self.add_error(field if field in self.fields else None, message)
            return self._drop_json(cleaned)
        # The instance gets the stored form (decimal strings); the service saves the real thing.
        cleaned["elements"] = validated["elements"]
        cleaned["tariff_alt_text"] = validated.get("tariff_alt_text") or []
        cleaned["energy_mix"] = validated.get("energy_mix")
        self.ocpi_data = data
        return cleaned


# --- assign page ------------------------------------------------------------------------------------------------


class AssignForm(StaffForm):
    """Which of our connectors to (un)assign: every filter given must match."""

    operation = forms.ChoiceField(
        choices=[("assign", "Assign the tariff"), ("unassign", "Remove the tariff")],
        initial="assign",
        widget=forms.RadioSelect,
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.filter(source_partner__isnull=True).order_by("location_id"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    evse_id_prefix = forms.CharField(required=False, max_length=48, help_text="e.g. NL*EXA*E12 ('*' optional)")
    power_type = forms.ChoiceField(choices=[("", "any"), *PowerType.choices], required=False)
    search = forms.CharField(
        required=False, max_length=100, help_text="Location id, name, city or address; EVSE uid or EVSE ID"
    )
    all_connectors = forms.BooleanField(required=False, label="All our connectors (no filter)")

    def selection(self) -> dict:
        data = self.cleaned_data
        return {
            "location_ids": [location.pk for location in data["locations"]],
            "evse_id_prefix": data["evse_id_prefix"].strip(),
            "power_type": data["power_type"],
            "search": data["search"].strip(),
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(self.selection().values()) and not cleaned.get("all_connectors"):
            raise ValidationError("Choose connectors with at least one filter, or tick “All our connectors”.")
        return cleaned


def assignment_preview(tariff: Tariff, connectors, operation: str) -> dict:
    """How many connectors the filters match and how many the operation would change, with a sample."""
    wanted = tariff.tariff_id.upper()
    matched = changed = 0
    locations: set[int] = set()
    for tariff_ids, location_id in connectors.values_list("tariff_ids", "evse__location_id"):
        matched += 1
        has_it = any(str(i).upper() == wanted for i in tariff_ids or [])
        if has_it != (operation == "assign"):
            changed += 1
            locations.add(location_id)
    return {"matched": matched, "changed": changed, "locations": len(locations), "sample": list(connectors[:50])}


# --- price calculator -------------------------------------------------------------------------------------------


class CalculatorForm(StaffForm):
    """A session to price: plugged in at a local time for a duration, taking some energy."""

    tariff = forms.ModelChoiceField(queryset=Tariff.objects.select_related("source_partner").order_by("tariff_id"))
    start = forms.CharField(
        help_text="Local time at the charger, e.g. 2024-05-06 17:30",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        help_text="IANA name, e.g. Europe/Amsterdam. Empty: the time zone of the first location using the tariff, "
        "else UTC",
    )
    duration_minutes = forms.IntegerField(min_value=0, initial=60, label="Plugged in (minutes)")
    energy_kwh = forms.DecimalField(
        min_value=0, initial=Decimal(10), max_digits=12, decimal_places=4, label="Energy (kWh)"
    )
    max_power_kw = forms.DecimalField(
        required=False,
        min_value=Decimal("0.1"),
        max_digits=10,
        decimal_places=3,
        label="Max power (kW)",
        help_text="Empty: charge evenly over the whole time. Set: charge at this power, then the car stays plugged in "
        "without charging (parking time) for the rest",
    )
    parking_minutes = forms.IntegerField(required=False, min_value=0, label="Extra parking after (minutes)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].label_from_instance = lambda t: f"{t.tariff_id} ({t.country_code}/{t.party_id})"
        self.initial.setdefault("start", timezone.now().strftime("%Y-%m-%dT%H:00"))

    def clean_start(self):
        text = self.cleaned_data["start"].strip()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("Enter a date and time such as 2024-05-06 17:30.")
        return value.replace(tzinfo=None)

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"].strip()
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationError(f"Unknown time zone '{name}'.")
        return name


def calculator_totals(result: pricing.PricingResult) -> list[dict]:
    """The CDR cost totals (mod_cdrs.asciidoc, CDR object) as table rows; ``None`` incl. VAT shows as unknown."""
    labels = [
        ("Start / fixed fees", result.total_fixed_cost),
        ("Energy", result.total_energy_cost),
        ("Charging time", result.total_time_cost),
        ("Parking time", result.total_parking_cost),
        ("Reservation", result.total_reservation_cost),
    ]
    rows = [{"label": label, "excl_vat": price.excl_vat, "incl_vat": price.incl_vat} for label, price in labels]
    if result.adjustment is not None:
        rows.append(
            {
                "label": f"{result.adjustment_reason} adjustment",
                "excl_vat": result.adjustment.excl_vat,
                "incl_vat": result.adjustment.incl_vat,
            }
        )
    return rows
