"""Locations in the admin: lists, filters, own-data edits that push, read-only partner data, the CSV import page."""

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from roaming.locations.admin import LocationAdmin
from roaming.locations.models import EVSE, Connector, Location
from roaming.ocpi.models import OutboxMessage
from tests.locations import factories_import
from tests.locations.factories_import import (
    DATA,
    ConnectorFactory,
    OwnEVSEFactory,
    OwnLocationFactory,
    PartnerLocationFactory,
    charger_row,
    make_csv,
)

pytestmark = pytest.mark.django_db

# Fixtures shared by the import/API/admin tests (they live next to the factories, not in conftest.py).
receiving_partner = factories_import.receiving_partner

OLD = timezone.now().replace(microsecond=0) - timedelta(days=2)


def form_data(response) -> dict:
    """The POST body a browser would send back from a rendered admin change form (with its inlines)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is not None:
            data[name] = value
        if field.show_hidden_initial:  # fields with callable defaults carry their initial value in a hidden input
            data[form.add_initial_prefix(name)] = field.prepare_value(form[name].initial)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for inline_form in formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                if value is not None:
                    data[inline_form.add_prefix(name)] = value
    return data


def errors_of(response) -> dict:
    return response.context["adminform"].form.errors


# --- Location ---------------------------------------------------------------------------------------------------


def test_location_list_shows_own_locations_by_default(admin_client):
    own = OwnLocationFactory(location_id="MINE", name="Own site")
    OwnEVSEFactory.create_batch(2, location=own)
    PartnerLocationFactory(location_id="THEIRS")

    response = admin_client.get(reverse("admin:locations_location_changelist"))

    assert response.status_code == 200
    shown = [row.location_id for row in response.context["cl"].result_list]
    assert shown == ["MINE"]
    assert response.context["cl"].result_list[0].evse_total == 2
    content = response.content.decode()
    assert "NL/EXA" in content
    assert "Import chargers (CSV)" in content
    assert reverse("admin:locations_evse_import") in content


@pytest.mark.parametrize(("value", "expected"), [("received", ["THEIRS"]), ("all", ["MINE", "THEIRS"])])
def test_location_ownership_filter(admin_client, value, expected):
    OwnLocationFactory(location_id="MINE")
    PartnerLocationFactory(location_id="THEIRS")

    response = admin_client.get(reverse("admin:locations_location_changelist"), {"data": value})

    assert sorted(row.location_id for row in response.context["cl"].result_list) == expected


def test_location_search(admin_client):
    OwnLocationFactory(location_id="A", city="Amsterdam")
    OwnLocationFactory(location_id="B", city="Rotterdam")

    response = admin_client.get(reverse("admin:locations_location_changelist"), {"q": "rotter"})

    assert [row.location_id for row in response.context["cl"].result_list] == ["B"]


def test_location_display_methods():
    location = OwnLocationFactory()
    OwnEVSEFactory(location=location)
    model_admin = LocationAdmin(Location, site)
    annotated = model_admin.get_queryset(request=None).get(pk=location.pk)

    assert model_admin.party(annotated) == "NL/EXA"
    assert model_admin.evse_count(annotated) == 1
    assert "own" in model_admin.owner_display(annotated)


def test_location_change_page_renders_with_its_evse_inline(admin_client):
    evse = OwnEVSEFactory(evse_id="NL*EXA*E77", internal_id="CP-77")

    response = admin_client.get(reverse("admin:locations_location_change", args=[evse.location.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "NL*EXA*E77" in content and "CP-77" in content


def test_editing_an_own_location_bumps_last_updated_and_pushes(admin_client, receiving_partner):
    location = OwnLocationFactory(last_updated=OLD)
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = form_data(admin_client.get(url))
    data["name"] = "New name"
    data["country"] = "nl"  # alpha-2 is converted

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    location.refresh_from_db()
    assert (location.name, location.country) == ("New name", "NLD")
    assert location.last_updated > OLD
    assert OutboxMessage.objects.filter(partner=receiving_partner, method="PUT").count() == 1


def test_saving_an_unchanged_location_pushes_nothing(admin_client, receiving_partner):
    location = OwnLocationFactory(last_updated=OLD)
    url = reverse("admin:locations_location_change", args=[location.pk])

    response = admin_client.post(url, form_data(admin_client.get(url)))

    assert response.status_code == 302
    location.refresh_from_db()
    assert location.last_updated == OLD
    assert OutboxMessage.objects.count() == 0


def test_location_form_validates_ocpi_values(admin_client):
    location = OwnLocationFactory()
    url = reverse("admin:locations_location_change", args=[location.pk])
    data = form_data(admin_client.get(url))
    data.update(latitude="123", time_zone="Mars/Base", opening_times='{"twentyfourseven": false}')

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = errors_of(response)
    assert "out of range" in errors["latitude"][0]
    assert "is not an IANA time zone" in errors["time_zone"][0]
    assert "regular_hours: at least one RegularHours is required" in " ".join(errors["opening_times"])


def test_adding_an_own_location_sets_our_party_and_the_country_time_zone(admin_client):
    url = reverse("admin:locations_location_add")
    data = form_data(admin_client.get(url))
    data.update(
        location_id="NEW-1",
        address="Street 1",
        city="Berlin",
        country="DE",
        latitude="52.52",
        longitude="13.405",
        time_zone="",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    location = Location.objects.get(location_id="NEW-1")
    assert (location.country_code, location.party_id, location.country) == ("NL", "EXA", "DEU")
    assert (location.latitude, location.longitude, location.time_zone) == ("52.52000", "13.40500", "Europe/Berlin")


def test_partner_locations_are_read_only(admin_client):
    theirs = PartnerLocationFactory(name="Partner site")
    url = reverse("admin:locations_location_change", args=[theirs.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert admin_client.post(url, {"name": "hijacked"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.name == "Partner site"


# --- EVSE -------------------------------------------------------------------------------------------------------


def test_evse_list_filters_and_finds_evse_ids_without_separators(admin_client):
    OwnEVSEFactory(evse_id="NL*EXA*E123", internal_id="CP-123", status="CHARGING")
    OwnEVSEFactory(evse_id="NL*EXA*E456", internal_id="CP-456", status="AVAILABLE")
    OwnEVSEFactory(location=PartnerLocationFactory(), evse_id="DE*CPO*E123", internal_id=None)
    url = reverse("admin:locations_evse_changelist")

    everything = admin_client.get(url)
    by_key = admin_client.get(url, {"q": "nlexae123"})
    charging = admin_client.get(url, {"status__exact": "CHARGING"})
    received = admin_client.get(url, {"data": "received"})

    assert everything.status_code == 200
    assert sorted(e.evse_id for e in everything.context["cl"].result_list) == ["NL*EXA*E123", "NL*EXA*E456"]
    assert [e.evse_id for e in by_key.context["cl"].result_list] == ["NL*EXA*E123"]
    assert [e.internal_id for e in charging.context["cl"].result_list] == ["CP-123"]
    assert [e.evse_id for e in received.context["cl"].result_list] == ["DE*CPO*E123"]
    assert "Import chargers (CSV)" in everything.content.decode()


def test_mapping_an_internal_id_to_an_evse_pushes_the_location(admin_client, receiving_partner):
    evse = OwnEVSEFactory(evse_id="NL*EXA*E1", internal_id=None, last_updated=OLD)
    ConnectorFactory(evse=evse)
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data.update(internal_id="CP-1", evse_id="nl*exa*e0001")

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    evse.refresh_from_db()
    assert (evse.internal_id, evse.evse_id) == ("CP-1", "NL*EXA*E0001")
    assert evse.last_updated > OLD
    assert evse.location.last_updated == evse.last_updated
    push = OutboxMessage.objects.get(partner=receiving_partner)
    assert (push.method, push.path) == ("PUT", f"NL/EXA/{evse.location.location_id}")


def test_a_status_only_change_in_the_admin_is_patched(admin_client, receiving_partner):
    evse = OwnEVSEFactory(status="AVAILABLE", last_updated=OLD)
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data["status"] = "OUTOFORDER"

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    assert EVSE.objects.get(pk=evse.pk).status == "OUTOFORDER"
    push = OutboxMessage.objects.get(partner=receiving_partner)
    assert (push.method, push.body["status"]) == ("PATCH", "OUTOFORDER")


@pytest.mark.parametrize(
    ("evse_id", "message"),
    [
        ("XX*EXA*E1", "Not a valid EVSE ID: country code 'XX' is not ISO 3166-1 alpha-2."),
        ("NL*EXA*P1", "'P'/'S' ids are pools/stations, not EVSEs"),
        ("NL*EXA*1", "missing the 'E' type letter after the operator id"),
    ],
)
def test_evse_form_refuses_bad_evse_ids_with_the_reason(admin_client, evse_id, message):
    evse = OwnEVSEFactory()
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data["evse_id"] = evse_id

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert message in errors_of(response)["evse_id"][0]
    assert message.split(": ", 1)[-1].rstrip(".") in response.content.decode().replace("&#x27;", "'")


def test_evse_form_refuses_an_evse_id_another_evse_has(admin_client):
    OwnEVSEFactory(evse_id="NL*EXA*E1", uid="FIRST", internal_id="CP-1")
    evse = OwnEVSEFactory()
    url = reverse("admin:locations_evse_change", args=[evse.pk])
    data = form_data(admin_client.get(url))
    data["evse_id"] = "NLEXAE1"

    response = admin_client.post(url, data)

    assert errors_of(response)["evse_id"] == ["EVSE ID already used by EVSE 'FIRST' (internal id CP-1)."]


def test_adding_an_evse_derives_its_uid(admin_client, receiving_partner):
    location = OwnLocationFactory()
    url = reverse("admin:locations_evse_add")
    data = form_data(admin_client.get(url))
    data.update(location=location.pk, evse_id="NL*EXA*E55", internal_id="CP-55", status="AVAILABLE")

    response = admin_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    evse = EVSE.objects.get(internal_id="CP-55")
    assert evse.uid == "NL*EXA*E55"
    assert OutboxMessage.objects.filter(partner=receiving_partner).count() == 1


def test_an_evse_cannot_be_added_to_a_partner_location(admin_client):
    url = reverse("admin:locations_evse_add")
    data = form_data(admin_client.get(url))
    data.update(location=PartnerLocationFactory().pk, evse_id="NL*EXA*E56", status="AVAILABLE")

    response = admin_client.post(url, data)

    assert errors_of(response)["location"] == ["Choose one of our own locations."]


def test_nothing_can_be_deleted(admin_client):
    evse = OwnEVSEFactory()

    response = admin_client.get(reverse("admin:locations_evse_delete", args=[evse.pk]))

    assert response.status_code == 403


# --- Connector --------------------------------------------------------------------------------------------------


def test_connector_list_filters_by_tariff_id_standard_and_power_type(admin_client):
    ConnectorFactory(evse__evse_id="NL*EXA*E1", tariff_ids=["AC-1", "AC-2"])
    ConnectorFactory(evse__evse_id="NL*EXA*E2", tariff_ids=["AC-2"], standard="CHADEMO", power_type="DC")
    ConnectorFactory(evse__evse_id="NL*EXA*E3", tariff_ids=[])
    url = reverse("admin:locations_connector_changelist")

    def shown(**params):
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return sorted(c.evse.evse_id for c in response.context["cl"].result_list)

    assert shown() == ["NL*EXA*E1", "NL*EXA*E2", "NL*EXA*E3"]
    assert shown(tariff_id="AC-1") == ["NL*EXA*E1"]
    assert shown(tariff_id="AC-2") == ["NL*EXA*E1", "NL*EXA*E2"]
    assert shown(tariff_id="-") == ["NL*EXA*E3"]
    assert shown(standard__exact="CHADEMO") == ["NL*EXA*E2"]
    assert shown(power_type__exact="AC_3_PHASE") == ["NL*EXA*E1", "NL*EXA*E3"]
    page = admin_client.get(url).content.decode()
    assert "?tariff_id=AC-1" in page and "AC-1, AC-2" in page


def test_editing_a_connector_bumps_evse_and_location_and_pushes(admin_client, receiving_partner):
    connector = ConnectorFactory(tariff_ids=["AC-1"], last_updated=OLD, evse__last_updated=OLD)
    EVSE.objects.filter(pk=connector.evse.pk).update(last_updated=OLD)
    Location.objects.filter(pk=connector.evse.location.pk).update(last_updated=OLD)
    url = reverse("admin:locations_connector_change", args=[connector.pk])
    data = form_data(admin_client.get(url))
    data["tariff_ids"] = '["AC-1", "AC-NIGHT"]'

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    connector.refresh_from_db()
    assert connector.tariff_ids == ["AC-1", "AC-NIGHT"]
    assert connector.last_updated > OLD
    assert EVSE.objects.get().last_updated == connector.last_updated
    assert Location.objects.get().last_updated == connector.last_updated
    assert OutboxMessage.objects.filter(partner=receiving_partner).count() == 1


# --- CSV import page ----------------------------------------------------------------------------------------


def upload(admin_client, data: bytes, action: str, good_rows_only: bool = False):
    body = {"file": SimpleUploadedFile("chargers.csv", data, content_type="text/csv"), "action": action}
    if good_rows_only:
        body["good_rows_only"] = "on"
    return admin_client.post(reverse("admin:locations_evse_import"), body)


def test_import_page_renders(admin_client):
    response = admin_client.get(reverse("admin:locations_evse_import"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content
    assert "Import the good rows only" in content
    assert "Preview (dry run)" in content


def test_import_preview_shows_the_counts_and_writes_nothing(admin_client):
    response = upload(admin_client, (DATA / "chargers_valid.csv").read_bytes(), "preview")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Dry run, nothing written: 4 good rows." in content
    assert 'id="import-counts"' in content
    assert EVSE.objects.count() == 0


def test_import_writes_the_chargers(admin_client, receiving_partner):
    response = upload(admin_client, (DATA / "chargers_valid.csv").read_bytes(), "import")

    assert response.status_code == 200
    assert "4 good rows. Did create 2 locations, 3 EVSEs, 4 connectors" in response.content.decode()
    assert EVSE.objects.count() == 3
    assert OutboxMessage.objects.filter(partner=receiving_partner).count() == 2


def test_import_of_a_bad_file_shows_each_bad_row_and_imports_nothing(admin_client):
    response = upload(admin_client, (DATA / "chargers_bad.csv").read_bytes(), "import")

    assert response.status_code == 200
    report = response.context["report"]
    assert report.refused is True
    assert [line for line, _ in report.errors_by_line()] == [2, 3, 4, 5, 6, 7, 8, 9]
    content = response.content.decode().replace("&#x27;", "'")
    assert 'id="import-errors"' in content
    assert "<td>3</td><td>evse_id: country code 'XX' is not ISO 3166-1 alpha-2</td>" in content
    assert "Nothing imported: 8 of 8 rows are invalid" in content
    assert Location.objects.count() == 0


def test_import_good_rows_only_from_the_admin(admin_client):
    data = make_csv([charger_row(1), charger_row(2, max_voltage="lots")])

    response = upload(admin_client, data, "import", good_rows_only=True)

    assert "1 good row. 1 bad row skipped." in response.content.decode()
    assert list(EVSE.objects.values_list("internal_id", flat=True)) == ["CP-0001"]
    assert Connector.objects.count() == 1


def test_import_page_requires_a_file(admin_client):
    response = admin_client.post(reverse("admin:locations_evse_import"), {"action": "import"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Choose a CSV file."]
