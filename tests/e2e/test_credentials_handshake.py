"""Two instances register with each other through the real credentials handshake (issue: partner onboarding)."""

import base64

import requests

from tests.e2e.harness import register


def ocpi_get(url: str, token: str):
    return requests.get(
        url, headers={"Authorization": "Token " + base64.b64encode(token.encode()).decode()}, timeout=10
    )


def check_partner_ping(instance) -> dict:
    """From inside ``instance``: GET the partner's versions and version details with the token we hold."""
    return instance.shell_json(
        "import json\n"
        "from roaming.partners.models import Partner\n"
        "from roaming.partners.services import partner_refresh_endpoints\n"
        "p = Partner.objects.get(status='registered')\n"
        "partner_refresh_endpoints(partner=p)\n"
        "print(json.dumps({'version': p.version, 'roles': [str(r) for r in p.roles.all()],"
        " 'endpoints': sorted(f'{e.identifier} {e.role}' for e in p.endpoints.all())}))"
    )


def test_both_directions_register_unregister_and_token_a_dies(pair):
    pair.reset()
    cpo, emsp = pair.cpo, pair.emsp

    # 1. The CPO invites the eMSP; the eMSP registers (management command on the eMSP).
    first = register(emsp, cpo)
    token_a = first["invitation"]["token"]
    assert first["result"]["status"] == "registered"
    assert first["result"]["version"] == "2.2.1"
    assert first["result"]["roles"] == ["NL/CPO CPO"]

    # Each side sees the other registered, with the other's roles and endpoints.
    assert cpo.query("SELECT status, initiated_by, version FROM partners_partner") == [("registered", "them", "2.2.1")]
    assert cpo.query("SELECT country_code, party_id, role FROM partners_partnerrole") == [("DE", "MSP", "EMSP")]
    assert emsp.query("SELECT status, initiated_by FROM partners_partner") == [("registered", "us")]

    # Each can call the other's version details with the token it received.
    assert check_partner_ping(emsp)["roles"] == ["NL/CPO CPO"]
    assert check_partner_ping(cpo)["roles"] == ["DE/MSP EMSP"]

    # Token A is dead everywhere, including versions.
    dead = ocpi_get(cpo.versions_url, token_a)
    assert dead.status_code == 401
    assert dead.json()["status_code"] == 2000

    # The handshake is in the traffic log on both sides with request IDs.
    inbound_post = cpo.query(
        "SELECT http_status, ocpi_status, request_id FROM ocpi_trafficlog WHERE direction='IN' AND method='POST'"
    )
    assert inbound_post and inbound_post[0][0] == 200 and inbound_post[0][1] == 1000 and inbound_post[0][2]
    outbound_post = emsp.query("SELECT request_id FROM ocpi_trafficlog WHERE direction='OUT' AND method='POST'")
    assert outbound_post[0][0] == inbound_post[0][2]

    # 2. The eMSP unregisters (DELETE credentials at the CPO): both sides stop.
    emsp.shell(
        "from roaming.partners.models import Partner\n"
        "from roaming.partners.services import partner_unregister\n"
        "partner_unregister(partner=Partner.objects.get(status='registered'))"
    )
    assert cpo.query("SELECT status FROM partners_partner") == [("unregistered",)]
    assert emsp.query("SELECT status FROM partners_partner") == [("unregistered",)]

    # 3. Now the eMSP invites the CPO and the CPO registers through its Celery worker.
    second = register(cpo, emsp, via_celery=True)
    assert emsp.query("SELECT status, initiated_by FROM partners_partner WHERE status='registered'") == [
        ("registered", "them")
    ]
    assert cpo.query("SELECT initiated_by FROM partners_partner WHERE status='registered'") == [("us",)]
    assert check_partner_ping(cpo)["roles"] == ["DE/MSP EMSP"]
    assert check_partner_ping(emsp)["roles"] == ["NL/CPO CPO"]
    assert ocpi_get(emsp.versions_url, second["invitation"]["token"]).status_code == 401


def test_credentials_rotation_between_instances(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    before = cpo.query("SELECT hint FROM partners_partnertoken WHERE revoked_at IS NULL AND kind='C'")
    initiator = (
        emsp if emsp.query("SELECT 1 FROM partners_partner WHERE status='registered' AND initiated_by='us'") else cpo
    )
    initiator.shell(
        "from roaming.partners.models import Partner\n"
        "from roaming.partners.services import partner_rotate_credentials\n"
        "partner_rotate_credentials(partner=Partner.objects.get(status='registered'))"
    )
    # The receiver issued a new token and revoked the old one; both sides still talk.
    after = cpo.query("SELECT hint FROM partners_partnertoken WHERE revoked_at IS NULL AND kind='C'")
    assert len(after) == 1
    assert check_partner_ping(emsp)["roles"] == ["NL/CPO CPO"]
    assert check_partner_ping(cpo)["roles"] == ["DE/MSP EMSP"]
    assert before and after != before  # a new token replaced the old one
    events = cpo.query(
        "SELECT action, success FROM partners_partnerevent WHERE action IN ('update', 'rotate') ORDER BY id DESC"
    )
    assert events[0] in {("update", True), ("rotate", True)}
