"""Bulk (un)assignment of our tariffs to our connectors (Connector.tariff_ids): connectors, EVSEs and locations get a
new last_updated, and each changed location is pushed once."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services.tariff_assignment import connector_tariffs_assign, connector_tariffs_unassign
from roaming.ocpi.models import OutboxMessage
from roaming.tariffs import selectors
from tests.partners.factories import PartnerFactory, registered_partner_with_token
from tests.tariffs.factories import T0, ReceivedTariffFactory, TariffFactory, site

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def location_receiver():
    """An eMSP with a locations RECEIVER, so location pushes are written to the outbox."""
    return registered_partner_with_token(
        party_id="MSP", endpoints=[("locations", "RECEIVER", "http://msp.invalid/ocpi/2.2.1/emsp/locations")]
    )[0]


def assign(*, tariff, connectors) -> int:
    """Assign as the tariffs admin does: the locations service, with the tariffs module's one-per-type rule."""
    return connector_tariffs_assign(
        tariff=tariff, connectors=connectors, conflicts=selectors.tariff_assignment_conflicts
    )


def location_pushes() -> list[str]:
    return list(OutboxMessage.objects.filter(module="locations").order_by("id").values_list("path", flat=True))


def test_assign_updates_connectors_bumps_parents_and_pushes_once_per_location():
    tariff = TariffFactory(tariff_id="NEW")
    first, second, other = site(evses=3, connectors=2), site(evses=1, connectors=2), site(evses=1)
    connectors = Connector.objects.filter(evse__location__in=[first, second])

    assert assign(tariff=tariff, connectors=connectors) == 8

    assert all(c.tariff_ids == ["NEW"] for c in connectors)
    assert all(c.last_updated > T0 for c in connectors)
    assert all(e.last_updated > T0 for e in EVSE.objects.filter(location__in=[first, second]))
    assert all(loc.last_updated > T0 for loc in Location.objects.filter(pk__in=[first.pk, second.pk]))
    other.refresh_from_db()
    assert other.last_updated == T0
    assert location_pushes() == [f"NL/EXA/{first.location_id}", f"NL/EXA/{second.location_id}"]
    pushed = OutboxMessage.objects.filter(module="locations").first().body
    assert {tuple(c["tariff_ids"]) for e in pushed["evses"] for c in e["connectors"]} == {("NEW",)}


def test_assign_keeps_other_tariffs_and_skips_connectors_that_have_it():
    tariff = TariffFactory(tariff_id="NEW", type="REGULAR")
    location = site(evses=2)
    has_it, lacks_it = Connector.objects.filter(evse__location=location).order_by("pk")
    has_it.tariff_ids = ["new"]
    has_it.save()
    lacks_it.tariff_ids = ["AD_HOC"]
    lacks_it.save()

    assert assign(tariff=tariff, connectors=[has_it, lacks_it.pk]) == 1

    has_it.refresh_from_db()
    lacks_it.refresh_from_db()
    assert (has_it.tariff_ids, has_it.last_updated) == (["new"], T0)
    assert lacks_it.tariff_ids == ["AD_HOC", "NEW"]


def test_assigning_again_changes_and_pushes_nothing():
    tariff = TariffFactory()
    location = site(evses=2)
    assign(tariff=tariff, connectors=Connector.objects.all())
    OutboxMessage.objects.all().delete()
    location.refresh_from_db()
    stamp = location.last_updated

    assert assign(tariff=tariff, connectors=Connector.objects.all()) == 0

    location.refresh_from_db()
    assert location.last_updated == stamp
    assert not OutboxMessage.objects.exists()


def test_unassign_removes_it_case_insensitively():
    tariff = TariffFactory(tariff_id="OLD")
    location = site(evses=2)
    Connector.objects.update(tariff_ids=["old", "KEEP"])

    assert connector_tariffs_unassign(tariff=tariff, connectors=Connector.objects.all()) == 2

    assert [c.tariff_ids for c in Connector.objects.all()] == [["KEEP"], ["KEEP"]]
    assert location_pushes() == [f"NL/EXA/{location.location_id}"]


def test_partner_connectors_and_partner_tariffs_are_refused():
    tariff = TariffFactory()
    partner_site = site(evses=1, country_code="BE", party_id="BEC", source_partner=PartnerFactory())
    with pytest.raises(ValidationError, match="belong to a partner's location"):
        assign(tariff=tariff, connectors=Connector.objects.filter(evse__location=partner_site))
    with pytest.raises(ValidationError, match="only our own tariffs"):
        assign(tariff=ReceivedTariffFactory(), connectors=Connector.objects.all())
    assert all(c.tariff_ids == [] for c in Connector.objects.all())
    assert not OutboxMessage.objects.exists()


def test_one_active_tariff_per_type_is_enforced():
    TariffFactory(tariff_id="CUR", type="REGULAR", end_date_time=datetime(2024, 7, 1, tzinfo=UTC))
    overlapping = TariffFactory(tariff_id="OVL", type="REGULAR", start_date_time=datetime(2024, 6, 1, tzinfo=UTC))
    successor = TariffFactory(tariff_id="NEXT", type="REGULAR", start_date_time=datetime(2024, 7, 1, tzinfo=UTC))
    ad_hoc = TariffFactory(tariff_id="ADHOC", type="AD_HOC_PAYMENT")
    site(evses=2)
    Connector.objects.update(tariff_ids=["CUR"])

    with pytest.raises(ValidationError) as info:
        assign(tariff=overlapping, connectors=Connector.objects.all())
    assert info.value.messages == [
        "2 connector(s) already use tariff CUR of the same type (REGULAR) with an overlapping validity period"
    ]
    assert all(c.tariff_ids == ["CUR"] for c in Connector.objects.all())

    # A successor starting when the current one ends, or another type, may sit next to it (spec example 6).
    assert assign(tariff=successor, connectors=Connector.objects.all()) == 2
    assert assign(tariff=ad_hoc, connectors=Connector.objects.all()) == 2
    assert all(c.tariff_ids == ["CUR", "NEXT", "ADHOC"] for c in Connector.objects.all())


def test_bulk_assignment_cost_grows_with_locations_not_connectors():
    tariff, other = TariffFactory(tariff_id="A"), TariffFactory(tariff_id="B")
    site(evses=2, connectors=1)
    site(evses=2, connectors=1)
    with CaptureQueriesContext(connection) as small:
        assign(tariff=tariff, connectors=Connector.objects.all())
    Connector.objects.update(tariff_ids=[])
    for location in Location.objects.all():
        for n in range(20):
            evse = EVSE.objects.create(location=location, uid=f"{location.location_id}-X{n}", last_updated=T0)
            for c in range(3):
                Connector.objects.create(
                    evse=evse,
                    connector_id=str(c + 1),
                    standard="IEC_62196_T2",
                    format="SOCKET",
                    power_type="AC_3_PHASE",
                    max_voltage=230,
                    max_amperage=32,
                    last_updated=T0,
                )
    with CaptureQueriesContext(connection) as large:
        changed = assign(tariff=other, connectors=Connector.objects.all())
    assert changed == 124
    assert len(large) == len(small)
    assert len(location_pushes()) == 4  # two locations, twice


def test_connector_selection_for_the_admin():
    plain = site(evses=2, name="Harbour", location_id="HRB")
    dc = site(evses=1, power_type="DC", name="Motorway")
    site(evses=1, country_code="BE", party_id="BEC", source_partner=PartnerFactory(), name="Harbour abroad")
    own_count = Connector.objects.filter(evse__location__source_partner__isnull=True).count()

    assert selectors.connectors_for_assignment().count() == own_count == 3
    assert selectors.connectors_for_assignment(location_ids=[dc.pk]).count() == 1
    assert selectors.connectors_for_assignment(power_type="DC").get().evse.location == dc
    assert selectors.connectors_for_assignment(search="harbour").count() == 2
    first_evse = plain.evses.order_by("uid").first()
    assert selectors.connectors_for_assignment(evse_id_prefix=first_evse.evse_id).count() == 1
    assert selectors.connectors_for_assignment(evse_id_prefix="NLEXA").count() == 3  # '*' separators optional


def test_the_tariffs_module_writes_no_location_rows():
    """Assignment is the locations module's service: tariffs' services do not import the location models."""
    import ast
    import inspect

    from roaming.tariffs import services

    tree = ast.parse(inspect.getsource(services))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "roaming.locations.models" not in imported
    assert "roaming.locations.services.tariff_assignment" in imported
