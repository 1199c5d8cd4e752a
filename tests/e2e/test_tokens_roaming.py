"""Tokens end to end between a CPO instance (NL/CPO) and an eMSP instance (DE/MSP) (issue: tokens and
authorization, "Done when").

The eMSP creates tokens and blocks one; they reach the CPO's cache by push; the CSMS asks the CPO's
``/api/v1/authorize`` for each (allowed, or refused with the reason); with the eMSP stopped, an ALLOWED_OFFLINE token
is allowed from the cache and a NEVER token is refused, and the CPO's admin shows both fallbacks.
"""

import re
from pathlib import Path

import requests

DATA = Path(__file__).parent / "data"

CREATE = (
    "from roaming.tokens.services.own import token_save_own, tokens_set_valid\n"
    "def card(uid, whitelist='ALLOWED'):\n"
    "    return token_save_own(data={'uid': uid, 'contract_id': 'DE-MSP-C00000001', 'issuer': 'MSP Mobility',"
    " 'whitelist': whitelist})[0]\n"
    "card('E2E-OK')\n"
    "blocked = card('E2E-BLOCKED')\n"
    "card('E2E-OFFLINE', 'ALLOWED_OFFLINE')\n"
    "card('E2E-NEVER', 'NEVER')\n"
    "assert tokens_set_valid(tokens=[blocked], valid=False) == 1\n"
)
CACHE = "SELECT uid, valid, whitelist FROM tokens_token WHERE uid LIKE 'E2E-%%' AND party_id = 'MSP' ORDER BY uid"
EXPECTED = [
    ("E2E-BLOCKED", False, "ALLOWED"),
    ("E2E-NEVER", True, "NEVER"),
    ("E2E-OFFLINE", True, "ALLOWED_OFFLINE"),
    ("E2E-OK", True, "ALLOWED"),
]


def staff(instance) -> str:
    """A staff user with an API token (CSMS) and password (admin); returns the API token."""
    return instance.shell_json(
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from roaming.core.api_keys import api_key_create\n"
        "u, _ = User.objects.get_or_create(username='ops', defaults={'is_staff': True, 'is_superuser': True})\n"
        "u.set_password('ops-password'); u.save()\n"
        "print(json.dumps(api_key_create(user=u, name='e2e')[1]))"
    )


def authorize(cpo, key: str, uid: str) -> dict:
    response = requests.post(
        f"{cpo.base_url}/api/v1/authorize",
        json={"uid": uid, "charger_id": "CP-001"},
        headers={"Authorization": f"Token {key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def admin_page(cpo, path: str) -> str:
    session = requests.Session()
    login = f"{cpo.base_url}/admin/login/"
    session.get(login, timeout=10)
    session.post(
        login,
        data={
            "username": "ops",
            "password": "ops-password",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login},
        timeout=10,
    )
    response = session.get(f"{cpo.base_url}{path}", timeout=10)
    assert response.status_code == 200 and "login" not in response.url
    return response.text


def test_tokens_reach_the_cpo_and_authorization_falls_back_while_the_emsp_is_down(registered_pair):
    cpo, emsp = registered_pair.cpo, registered_pair.emsp
    cpo.manage("import_chargers", str(DATA / "chargers.csv"))
    key = staff(cpo)

    emsp.shell(CREATE)
    # PUT on create, then the block as a PATCH: both arrive, in order.
    cpo.wait_for(CACHE, expect=lambda rows: rows == EXPECTED)

    ok = authorize(cpo, key, "E2E-OK")
    assert (ok["allowed"], ok["source"], ok["emsp"]["party_id"]) == (True, "CACHE", "MSP")
    blocked = authorize(cpo, key, "E2E-BLOCKED")  # ALLOWED but invalid in the cache: asked in real time
    assert (blocked["allowed"], blocked["result"], blocked["reason"]) == (
        False,
        "BLOCKED",
        "eMSP DE/MSP answered BLOCKED",
    )
    live = authorize(cpo, key, "E2E-NEVER")
    assert (live["allowed"], live["source"], live["fell_back"]) == (True, "REALTIME", False)
    assert emsp.query(
        "SELECT count(*) FROM tokens_issuedauthorization WHERE authorization_reference = %s",
        (live["authorization_reference"],),
    ) == [(1,)]

    emsp.stop_process("web")
    try:
        offline = authorize(cpo, key, "E2E-OFFLINE")
        never = authorize(cpo, key, "E2E-NEVER")
    finally:
        emsp.start_web()
        emsp.wait_ready()
    assert (offline["allowed"], offline["source"], offline["fell_back"]) == (True, "FALLBACK_CACHE", True)
    assert (never["allowed"], never["source"], never["fell_back"]) == (False, "FALLBACK_REFUSED", True)
    assert never["reason"].startswith("whitelist NEVER: eMSP DE/MSP unreachable")

    page = admin_page(cpo, "/admin/tokens/authorizationdecision/?fell_back__exact=1")
    rows = re.findall(r"<tr\b[^>]*>.*?</tr>", page, flags=re.S)
    fallbacks = [row for row in rows if "E2E-" in row]
    assert len(fallbacks) == 2
    assert any("E2E-OFFLINE" in row and "eMSP unreachable: cache used" in row for row in fallbacks)
    assert any("E2E-NEVER" in row and "eMSP unreachable: refused" in row for row in fallbacks)
