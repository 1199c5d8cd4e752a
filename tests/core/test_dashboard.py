"""The dashboard's panels: exact figures from a known world, a constant number of queries, the panel registry."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from roaming.core import dashboard
from roaming.core.dashboard import Figure, Panel, dashboard_panels, register_panel
from tests.core.dashboard_data import dashboard_world

pytestmark = pytest.mark.django_db


def request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def cells(panel, table_index=0):
    return {cell.key: cell.text for row in panel.tables[table_index].rows for cell in row if cell.key}


def figures(panel):
    return {figure.key: figure.value for figure in panel.figures}


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "x")


def test_figures_are_exact(boss):
    world = dashboard_world()
    alpha, beta = world["alpha"], world["beta"]
    panels = {panel.key: panel for panel in dashboard_panels(request_for(boss))}
    assert list(panels) == [
        *("partners", "pushes", "network", "sessions", "cdrs-review", "cdrs-activity", "reconciliation"),
    ]

    assert figures(panels["partners"]) == {
        "partners-registered": 2,
        "partners-registering": 0,
        "partners-invited": 0,
        "partners-suspended": 0,
    }
    partners = cells(panels["partners"])
    assert partners[f"partner-{alpha.pk}-last-push"] == world["delivered_at"]
    assert partners[f"partner-{alpha.pk}-last-pull"] == world["pulled_at"]
    assert partners[f"partner-{alpha.pk}-failed-pulls"] == 0
    assert partners[f"partner-{beta.pk}-last-push"] == "—"
    assert partners[f"partner-{beta.pk}-failed-pulls"] == 1

    assert figures(panels["pushes"]) == {"push-pending": 3, "push-failed": 1, "push-rate": "25.0 %"}
    pushes = cells(panels["pushes"])
    assert (pushes[f"push-{alpha.pk}-pending"], pushes[f"push-{alpha.pk}-failed"]) == (2, 1)
    assert (pushes[f"push-{alpha.pk}-calls"], pushes[f"push-{alpha.pk}-rate"]) == (4, "25.0 %")
    assert (pushes[f"push-{beta.pk}-pending"], pushes[f"push-{beta.pk}-calls"]) == (1, 0)
    assert pushes[f"push-{beta.pk}-rate"] == "—"

    assert figures(panels["network"]) == {"evse-total": 4, "evse-available": 3, "evse-outoforder": 1}
    assert figures(panels["sessions"]) == {"sessions-active-own": 1, "sessions-active-received": 2}
    # no tariff held for these CPOs: the price check flags every received CDR (the old one too: not windowed)
    assert figures(panels["cdrs-review"]) == {"cdrs-flagged": 5, "cdrs-disputed": 0}

    activity = panels["cdrs-activity"]
    rows = [[cell.text for cell in row] for row in activity.tables[0].rows]
    assert rows == [
        ["Alpha CPO", "Received (from a CPO)", "EUR", 3, "22.500", "9.25"],
        ["Beta CPO", "Received (from a CPO)", "GBP", 1, "20.000", "8.00"],
    ]
    charts = {chart.key: chart for chart in activity.charts}
    assert set(charts) == {
        "cdr-sessions-chart",
        "cdr-energy-chart",
        "cdr-received-eur-chart",
        "cdr-received-gbp-chart",
    }
    sessions = dict(charts["cdr-sessions-chart"].series)
    assert len(charts["cdr-sessions-chart"].labels) == 30
    assert sessions["Alpha CPO"][-1] == 2 and sessions["Alpha CPO"][-2] == 1 and sum(sessions["Alpha CPO"]) == 3
    assert dict(charts["cdr-received-eur-chart"].series)["Alpha CPO"][-1] == Decimal("6.25")


#: partners (2), pushes (2), network (1), sessions (1), CDRs to review (1), CDR activity (1), partner state (2)
DASHBOARD_QUERIES = 11


@pytest.mark.parametrize("extra_partners", [0, 6])
def test_queries_do_not_grow_with_partners(boss, extra_partners):
    dashboard_world(extra_partners=extra_partners)
    request = request_for(boss)
    request.user = type(boss).objects.get(pk=boss.pk)  # permissions cached on the user object before counting
    request.user.has_perm("partners.view_partner")
    with CaptureQueriesContext(connection) as queries:
        dashboard_panels(request)
    assert len(queries) == DASHBOARD_QUERIES, [query["sql"][:120] for query in queries]


def test_each_group_sees_the_panels_of_its_sections(django_user_model):
    finance = django_user_model.objects.create_user("finance", is_staff=True)
    finance.groups.add(Group.objects.get(name="Finance"))
    keys = [panel.key for panel in dashboard_panels(request_for(finance))]
    assert keys == ["partners", "pushes", "network", "sessions", "cdrs-review", "cdrs-activity", "reconciliation"]
    nobody = django_user_model.objects.create_user("nobody", is_staff=True)
    assert dashboard_panels(request_for(nobody)) == []


def test_an_app_adds_a_panel(boss, monkeypatch):
    monkeypatch.setattr(dashboard, "_registry", dict(dashboard._registry))

    @register_panel("reconciliation", order=70, permission="cdrs.view_cdr")
    def differences(request):
        return Panel(key="reconciliation", title="Differences open", figures=[Figure("Open", 3, key="open")])

    panels = dashboard_panels(request_for(boss))
    assert panels[-1].key == "reconciliation" and figures(panels[-1]) == {"open": 3}  # a later registration wins
