"""Admin actions that change a partner or a push need the matching change permission; audit records (traffic log,
partner events) cannot be deleted from the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from roaming.ocpi.models import OutboxMessage, SyncRun, TrafficLog
from roaming.partners.choices import PartnerStatus
from roaming.partners.models import Partner, PartnerEvent
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

PARTNER_ACTIONS = [
    "action_register",
    "action_rotate",
    "action_refresh_endpoints",
    "action_pull_now",
    "action_schedule_pulls",
    "action_unregister",
    "action_suspend",
    "action_reactivate",
]


def staff(client, *codenames, username="viewer"):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


@pytest.fixture
def viewer(client):
    return staff(
        client,
        "view_partner",
        "view_partnerevent",
        "view_trafficlog",
        "view_outboxmessage",
        "view_syncrun",
    )


def offered(response) -> set[str]:
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _ in form.fields["action"].choices if name} if form is not None else set()


def test_a_view_only_user_is_offered_no_partner_action(viewer):
    assert offered(viewer.get("/admin/partners/partner/")).isdisjoint(PARTNER_ACTIONS)


@pytest.mark.parametrize("action", PARTNER_ACTIONS)
def test_a_view_only_user_cannot_run_a_partner_action(viewer, action):
    partner, _ = registered_partner_with_token()
    events = PartnerEvent.objects.count()
    viewer.post("/admin/partners/partner/", {"action": action, "_selected_action": [partner.pk]})
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.REGISTERED
    assert PartnerEvent.objects.count() == events


def test_a_user_with_change_permission_can_suspend(client):
    user_client = staff(client, "view_partner", "change_partner")
    partner, _ = registered_partner_with_token()
    user_client.post("/admin/partners/partner/", {"action": "action_suspend", "_selected_action": [partner.pk]})
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.SUSPENDED


def test_retrying_a_push_needs_the_outbox_change_permission(viewer, client):
    partner, _ = registered_partner_with_token()
    message = OutboxMessage.objects.create(
        partner=partner,
        module="locations",
        object_key="L1",
        method="PUT",
        path="NL/EXA/L1",
        status=OutboxMessage.Status.FAILED,
    )
    viewer.post("/admin/ocpi/outboxmessage/", {"action": "retry", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED

    client.logout()
    allowed = staff(client, "view_outboxmessage", "change_outboxmessage", username="operator")
    assert "retry" in offered(allowed.get("/admin/ocpi/outboxmessage/"))
    allowed.post("/admin/ocpi/outboxmessage/", {"action": "retry", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING


def test_pulling_again_needs_the_sync_run_change_permission(viewer):
    partner, _ = registered_partner_with_token()
    run = SyncRun.objects.create(partner=partner, module="locations")
    assert "run_again" not in offered(viewer.get("/admin/ocpi/syncrun/"))
    viewer.post("/admin/ocpi/syncrun/", {"action": "run_again", "_selected_action": [run.pk]})
    assert SyncRun.objects.count() == 1


def test_audit_records_cannot_be_deleted_even_by_a_superuser(admin_client):
    partner, _ = registered_partner_with_token()
    event = PartnerEvent.objects.create(partner=partner, action="x", message="y")
    log = TrafficLog.objects.create(direction="IN", method="GET", url="u")
    for url, pk in (("/admin/partners/partnerevent/", event.pk), ("/admin/ocpi/trafficlog/", log.pk)):
        admin_client.post(url, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
        assert admin_client.get(f"{url}{pk}/delete/").status_code == 403
    assert PartnerEvent.objects.filter(pk=event.pk).exists()
    assert TrafficLog.objects.filter(pk=log.pk).exists()
