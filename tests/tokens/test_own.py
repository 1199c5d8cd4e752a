"""Our eMSP's own tokens (roaming.tokens.services.own): validation, and pushes to CPO partners (PUT on create and
on other changes, PATCH when only valid/whitelist changed)."""

import pytest
from django.core.exceptions import ValidationError

from roaming.ocpi.models import OutboxMessage
from roaming.tokens.models import Token
from roaming.tokens.services import own
from tests.partners.factories import registered_partner_with_token

pytestmark = pytest.mark.django_db

CARD = {"uid": "04A2B3C4", "contract_id": "NL-EXA-C12345678-N", "issuer": "Example Mobility"}


@pytest.fixture
def cpo():
    """A CPO partner that publishes a tokens RECEIVER: our token changes are pushed to it."""
    return registered_partner_with_token(
        country_code="DE",
        party_id="CPO",
        role="CPO",
        endpoints=[("tokens", "RECEIVER", "http://cpo.invalid/ocpi/2.2.1/cpo/tokens")],
    )[0]


def test_create_pushes_put_with_the_type_in_the_path(cpo):
    token, created = own.token_save_own(data=CARD)

    assert created
    assert (token.country_code, token.party_id, token.type, token.whitelist, token.valid) == (
        "NL",
        "EXA",
        "RFID",
        "ALLOWED",
        True,
    )
    message = OutboxMessage.objects.get()
    assert (message.partner, message.module, message.method) == (cpo, "tokens", "PUT")
    assert message.path == "NL/EXA/04A2B3C4?type=RFID"
    assert message.body["contract_id"] == "NL-EXA-C12345678-N"
    assert message.body["last_updated"].endswith("Z")


def test_identical_save_changes_nothing_and_other_changes_put(cpo):
    first, _ = own.token_save_own(data=CARD)
    again, created = own.token_save_own(data=CARD)
    assert (again.pk, again.last_updated, created) == (first.pk, first.last_updated, False)
    assert OutboxMessage.objects.count() == 1

    changed = own.token_update_own(token=again, changes={"visual_number": "EXA-1"})
    assert changed.last_updated > first.last_updated
    assert OutboxMessage.objects.order_by("id").last().method == "PUT"


def test_valid_or_whitelist_changes_patch(cpo):
    token, _ = own.token_save_own(data=CARD)
    own.token_update_own(token=token, changes={"whitelist": "NEVER"})
    patch = OutboxMessage.objects.order_by("id").last()
    assert (patch.method, set(patch.body)) == ("PATCH", {"whitelist", "last_updated"})


def test_block_and_unblock_patch_only_what_changes(cpo):
    a, _ = own.token_save_own(data=CARD)
    b, _ = own.token_save_own(data={**CARD, "uid": "OTHER"})
    OutboxMessage.objects.all().delete()

    assert own.tokens_set_valid(tokens=[a, b.pk], valid=False) == 2
    assert own.tokens_set_valid(tokens=[a], valid=False) == 0  # already blocked
    assert not Token.objects.filter(valid=True).exists()
    bodies = list(OutboxMessage.objects.order_by("id").values_list("method", "path", "body"))
    assert [(m, p, body["valid"]) for m, p, body in bodies] == [
        ("PATCH", "NL/EXA/04A2B3C4?type=RFID", False),
        ("PATCH", "NL/EXA/OTHER?type=RFID", False),
    ]
    assert own.tokens_set_valid(tokens=[a], valid=True) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contract_id": "NL-EXA-C12345678-9"}, "the check digit is '9', expected 'N'"),
        ({"contract_id": "12345"}, "is not an eMA ID"),
        ({"whitelist": "SOMETIMES"}, "whitelist: 'SOMETIMES' is not a valid WhitelistType"),
        ({"uid": "x" * 37}, "uid: at most 36 characters allowed, got 37"),
    ],
)
def test_invalid_tokens_are_refused_naming_the_field(cpo, change, message):
    with pytest.raises(ValidationError) as exc:
        own.token_save_own(data={**CARD, **change})
    assert message in str(exc.value)
    assert not Token.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_uid_and_type_cannot_be_changed_and_partner_tokens_are_not_ours(cpo):
    token, _ = own.token_save_own(data=CARD)
    with pytest.raises(ValidationError):
        own.token_update_own(token=token, changes={"type": "APP_USER"})
    cached = Token.objects.create(
        country_code="DE", party_id="MSP", uid="X", contract_id="X", issuer="X", last_updated=token.last_updated,
        source_partner=cpo,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        own.token_update_own(token=cached, changes={"valid": False})
