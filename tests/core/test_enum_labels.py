"""OCPI values read as words in the admin: "Out of order", not "Outoforder"; "IEC 62196 Type 2", not "Iec 62196 T2"."""

import inspect

import pytest
from django.db import models

from roaming.cdrs import choices as cdr_choices
from roaming.locations import choices as location_choices
from roaming.ocpi import choices as ocpi_choices
from roaming.sessions import choices as session_choices
from roaming.tariffs import choices as tariff_choices
from roaming.tokens import choices as token_choices


def text_choices():
    for module in (location_choices, ocpi_choices, tariff_choices, token_choices, session_choices, cdr_choices):
        for _, enum in inspect.getmembers(module, inspect.isclass):
            if issubclass(enum, models.TextChoices) and enum is not models.TextChoices:
                yield enum


@pytest.mark.parametrize(
    ("member", "label"),
    [
        (location_choices.Status.OUTOFORDER, "Out of order"),
        (location_choices.ConnectorType.IEC_62196_T2, "IEC 62196 Type 2"),
        (location_choices.ConnectorType.IEC_62196_T2_COMBO, "IEC 62196 Type 2 Combo (CCS2)"),
        (location_choices.ConnectorType.CHADEMO, "CHAdeMO"),
        (location_choices.ConnectorType.NEMA_14_50, "NEMA 14-50"),
        (location_choices.ConnectorType.DOMESTIC_F, "Domestic plug type F"),
        (location_choices.PowerType.AC_1_PHASE, "AC 1-phase"),
        (location_choices.PowerType.DC, "DC"),
        (location_choices.ParkingRestriction.EV_ONLY, "EVs only"),
        (location_choices.Capability.RFID_READER, "RFID reader"),
    ],
)
def test_values_staff_read_every_day_have_proper_labels(member, label):
    assert member.label == label


def test_every_ocpi_enum_has_a_written_label():
    # Django's default label title-cases the member name: "Iec 62196 T2", "Ac 1 Phase", "Ev Only".
    unlabelled = [
        f"{enum.__name__}.{member.name}"
        for enum in text_choices()
        for member in enum
        if "_" in member.name and member.label == member.name.replace("_", " ").title()
    ]
    assert not unlabelled


@pytest.mark.django_db
def test_the_admin_shows_the_labels(admin_client):
    from tests.tariffs.factories import site

    site(evses=1, connectors=1)
    page = admin_client.get("/admin/locations/connector/").content.decode()
    assert "IEC 62196 Type 2" in page
    assert "AC 3-phase" in page
    assert "Iec 62196" not in page and "Ac 3 Phase" not in page


def test_an_ocpi_enum_used_by_several_modules_is_defined_once():
    from roaming.locations.choices import TokenType as location_token_type
    from roaming.ocpi.choices import AuthMethod, CdrDimensionType, TokenType

    assert location_token_type is token_choices.TokenType is session_choices.TokenType is TokenType
    assert session_choices.AuthMethod is cdr_choices.AuthMethod is AuthMethod
    assert session_choices.CdrDimensionType is cdr_choices.CdrDimensionType is CdrDimensionType
