"""Staff groups: created by migrate, each with what its job needs and no technical sections."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from roaming.core.staff_groups import GROUPS, ensure_staff_groups

pytestmark = pytest.mark.django_db


def perms(name: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")
    }


def test_migrate_created_every_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(GROUPS)


def test_read_only_views_business_data_and_changes_nothing():
    granted = perms("Read-only")
    assert {"partners.view_partner", "locations.view_evse", "tariffs.view_tariff", "ocpi.view_trafficlog"} <= granted
    assert not {p for p in granted if not p.split(".")[1].startswith("view_")}


def test_each_group_has_what_its_job_needs():
    assert {"partners.add_partner", "partners.change_partner", "ocpi.change_outboxmessage"} <= perms(
        "Partner management"
    )
    assert {"locations.change_evse", "locations.add_location", "tariffs.change_tariff", "ocpi.change_syncrun"} <= perms(
        "Operations"
    )
    assert "partners.add_partner" not in perms("Operations")
    assert "locations.change_evse" not in perms("Finance")
    assert "tariffs.view_tariff" in perms("Finance")


@pytest.mark.parametrize("group", list(GROUPS))
def test_no_group_reaches_technical_sections(group):
    granted = perms(group)
    technical = (
        "core.",  # API keys
        "auth.",
        "django_celery_beat.view_crontab",
        "django_celery_beat.view_solar",
        "django_celery_beat.view_clocked",
    )
    assert not [p for p in granted if p.startswith(technical)]


def test_setting_up_again_keeps_permissions_staff_added_by_hand(capsys):
    from django.contrib.auth.models import Permission

    finance = Group.objects.get(name="Finance")
    extra = Permission.objects.get(codename="change_partner")
    finance.permissions.add(extra)
    before = finance.permissions.count()

    call_command("setup_staff_groups")
    ensure_staff_groups()

    assert finance.permissions.count() == before
    assert "Finance:" in capsys.readouterr().out
