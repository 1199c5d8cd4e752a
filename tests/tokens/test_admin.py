"""Tokens in the admin: filters and search, block/unblock through the service, the CSV import page and template,
the read-only cache, and the authorization decisions (fallbacks visible)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from roaming.ocpi.models import OutboxMessage
from roaming.tokens.models import AuthorizationDecision, Token
from tests.partners.factories import registered_partner_with_token
from tests.tokens.factories import TokenFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:tokens_token_changelist")


@pytest.fixture
def cpo():
    return registered_partner_with_token(
        country_code="DE",
        party_id="CPO",
        role="CPO",
        endpoints=[("tokens", "RECEIVER", "http://cpo.invalid/ocpi/2.2.1/cpo/tokens")],
    )[0]


def text(response) -> str:
    return response.content.decode()


def test_changelist_filters_and_searches(admin_client):
    TokenFactory(uid="RFID-1", visual_number="VIS-77", issuer="Acme")
    TokenFactory(uid="APP-1", type="APP_USER", valid=False)
    partner, _ = registered_partner_with_token()
    TokenFactory(country_code="DE", party_id="MSP", uid="CACHED-1", source_partner=partner)

    page = text(admin_client.get(CHANGELIST))
    assert "RFID-1" in page and "APP-1" in page and "CACHED-1" not in page  # own by default
    assert "CACHED-1" in text(admin_client.get(CHANGELIST, {"data": "received"}))
    assert "RFID-1" not in text(admin_client.get(CHANGELIST, {"valid__exact": "0"}))
    assert "APP-1" not in text(admin_client.get(CHANGELIST, {"q": "VIS-77"}))
    assert "RFID-1" in text(admin_client.get(CHANGELIST, {"q": "VIS-77"}))
    for title in ("By type", "By valid", "By whitelist", "By issuer", "By group id"):
        assert title in page


def test_block_and_unblock_actions_push_at_once(admin_client, cpo):
    a, b = TokenFactory(uid="A"), TokenFactory(uid="B")
    response = admin_client.post(CHANGELIST, {"action": "block", "_selected_action": [a.pk, b.pk]}, follow=True)
    assert "Blocked 2 token(s)" in text(response)
    assert set(Token.objects.values_list("valid", flat=True)) == {False}
    assert OutboxMessage.objects.filter(method="PATCH").count() == 2
    admin_client.post(CHANGELIST, {"action": "unblock", "_selected_action": [a.pk]})
    assert Token.objects.get(uid="A").valid is True


def test_add_page_saves_through_the_service(admin_client, cpo):
    data = {
        "uid": "NEW1",
        "type": "RFID",
        "contract_id": "NL-EXA-C12345678-N",
        "issuer": "Example",
        "valid": "on",
        "whitelist": "ALLOWED",
        "energy_contract": "null",
    }
    response = admin_client.post(reverse("admin:tokens_token_add"), data)
    assert response.status_code == 302
    assert Token.objects.get().uid == "NEW1"
    assert OutboxMessage.objects.get().method == "PUT"
    bad = admin_client.post(reverse("admin:tokens_token_add"), {**data, "uid": "NEW2", "contract_id": "NL-EXA-X"})
    assert bad.status_code == 200 and "is not an eMA ID" in text(bad)
    assert Token.objects.count() == 1


def test_cached_tokens_are_read_only(admin_client):
    partner, _ = registered_partner_with_token()
    cached = TokenFactory(country_code="DE", party_id="MSP", uid="CACHED-1", source_partner=partner)
    page = admin_client.get(reverse("admin:tokens_token_change", args=[cached.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in text(page)


def test_import_page_previews_imports_and_offers_the_template(admin_client, cpo):
    url = reverse("admin:tokens_token_import")
    csv = b"uid,contract_id,issuer\nA1,NL-EXA-C12345678-N,Example\nA2,bad,Example\n"

    refused = admin_client.post(url, {"file": SimpleUploadedFile("c.csv", csv), "action": "import"})
    assert "<td>3</td>" in text(refused) and "contract_id: &#x27;BAD&#x27; is not an eMA ID" in text(refused)
    assert not Token.objects.exists()

    partial = admin_client.post(
        url, {"file": SimpleUploadedFile("c.csv", csv), "good_rows_only": "on", "action": "import"}
    )
    assert "Did create 1 token" in text(partial)
    assert Token.objects.get().uid == "A1"

    template = admin_client.get(reverse("admin:tokens_token_import_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert template.content.decode().startswith("uid,type,contract_id,issuer,")
    assert reverse("admin:tokens_token_import") in text(admin_client.get(CHANGELIST))


def test_decisions_show_fallbacks(admin_client):
    for uid, fell_back, source in (("OFF", True, "FALLBACK_CACHE"), ("NEV", True, "FALLBACK_REFUSED")):
        AuthorizationDecision.objects.create(
            token_uid=uid, token_type="RFID", allowed=uid == "OFF", source=source, fell_back=fell_back,
            reason=f"{uid}: eMSP unreachable", evse_uid="EVSE-1",
        )  # fmt: skip
    AuthorizationDecision.objects.create(token_uid="OK", token_type="RFID", allowed=True, source="CACHE", reason="c")
    page = text(admin_client.get(reverse("admin:tokens_authorizationdecision_changelist"), {"fell_back__exact": "1"}))
    assert "OFF: eMSP unreachable" in page and "NEV: eMSP unreachable" in page and ">OK<" not in page
    assert "eMSP unreachable: cache used" in page and "eMSP unreachable: refused" in page
