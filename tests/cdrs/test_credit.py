"""Our CDRs going out (mod_cdrs.asciidoc, Push model and Credit CDRs): POSTed to the eMSP owning the token through
the outbox, retried until confirmed, never sent twice, the answered Location kept; corrections are credit CDRs."""

import time
from decimal import Decimal

import pytest

from roaming.cdrs.choices import DisputeState, EventKind, ReviewStatus
from roaming.cdrs.models import Cdr
from roaming.cdrs.services import Correction, cdr_credit, cdr_dispute_open
from roaming.core.exceptions import InvalidInput, StateConflict
from roaming.ocpi.models import OutboxMessage
from roaming.ocpi.push import outbox_deliver
from tests.cdrs.factories import own_cdr
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/emsp/cdrs"


@pytest.fixture(autouse=True)
def _no_client_retries(settings):
    settings.OCPI_CLIENT_RETRIES = 0


@pytest.fixture
def owner(stub_server):
    """eMSP DE/TNM publishing its CDRs Receiver on the stub; another eMSP that must never get DE/TNM's CDRs."""
    partner, _ = registered_partner_with_token(
        country_code="DE", party_id="TNM", endpoints=[("cdrs", "RECEIVER", f"{stub_server.url}{PATH}")]
    )
    registered_partner_with_token(
        country_code="NL", party_id="OTH", endpoints=[("cdrs", "RECEIVER", f"{stub_server.url}/other/cdrs")]
    )
    return partner


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a service and what it schedules on commit (the outbox delivery task, eager in tests)."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def location_answer(cdr_id):
    return lambda request: (201, envelope(), {"Location": f"https://emsp.example/cdrs/{cdr_id}"})


def test_our_cdr_is_posted_to_the_owning_emsp_only_and_its_location_kept(stub_server, owner, sent):
    stub_server.route("POST", PATH, location_answer("CDR1"))
    cdr = sent(own_cdr, cdr_id="CDR1")
    posts = stub_server.calls("POST", PATH)
    assert len(posts) == 1
    assert posts[0].json()["id"] == "CDR1" and posts[0].json()["total_cost"] == {"excl_vat": 4.0, "incl_vat": 4.4}
    assert not stub_server.calls("POST", "/other/cdrs")
    cdr.refresh_from_db()
    assert cdr.partner == owner
    assert cdr.location_url == "https://emsp.example/cdrs/CDR1"
    assert cdr.confirmed_at is not None
    assert EventKind.DELIVERED in cdr.events.values_list("kind", flat=True)


def test_post_is_retried_until_confirmed_then_never_sent_again(stub_server, owner, sent, settings):
    settings.OCPI_PUSH_BACKOFF_BASE = 0.001  # the retry (message and partner backoff) is due almost at once
    stub_server.route("POST", PATH, (503, b"down"), location_answer("CDR1"))
    cdr = sent(own_cdr, cdr_id="CDR1")
    message = OutboxMessage.objects.get()
    assert message.status == "pending" and message.attempts == 1
    time.sleep(0.05)
    outbox_deliver(owner.pk, "cdrs", cdr.object_key)
    outbox_deliver(owner.pk, "cdrs", cdr.object_key)
    assert len(stub_server.calls("POST", PATH)) == 2
    message.refresh_from_db()
    assert message.status == "delivered"
    cdr.refresh_from_db()
    assert cdr.location_url == "https://emsp.example/cdrs/CDR1"


def test_token_of_no_known_emsp_is_stored_and_not_pushed(stub_server, owner, sent):
    cdr = own_cdr("CDR1", token_party=("FR", "ZZZ"))
    assert cdr.partner is None
    assert not OutboxMessage.objects.exists()


def test_credit_cdr_negates_total_cost_only_links_and_is_pushed(stub_server, owner, admin_user, sent):
    stub_server.route("POST", PATH, (201, envelope(), {"Location": "https://emsp.example/cdrs/x"}))
    original = sent(own_cdr, cdr_id="CDR1")
    credit, corrected = sent(cdr_credit, cdr_pk=original.pk, user=admin_user, comment="wrong tariff")
    assert corrected is None
    assert (credit.cdr_id, credit.credit, credit.credit_reference_id) == ("CDR1-C", True, "CDR1")
    assert (credit.total_cost_excl_vat, credit.total_cost_incl_vat) == (Decimal("-4.00"), Decimal("-4.40"))
    # "Only the values in the total_cost field SHALL contain the negative amounts" (Credit CDRs)
    assert credit.total_time_cost_excl_vat == original.total_time_cost_excl_vat == Decimal("4.00")
    assert credit.total_energy == original.total_energy
    assert credit.credited_cdr == original
    original.refresh_from_db()
    assert original.review_status == ReviewStatus.CREDITED
    assert original.events.filter(kind=EventKind.CREDITED, user=admin_user).exists()
    posted = [r.json() for r in stub_server.calls("POST", PATH)]
    assert [p["id"] for p in posted] == ["CDR1", "CDR1-C"]
    assert posted[1]["credit"] is True and posted[1]["credit_reference_id"] == "CDR1"
    assert posted[1]["total_cost"] == {"excl_vat": -4.0, "incl_vat": -4.4}


def test_credit_with_a_corrected_cdr_repriced_by_our_engine(stub_server, owner, admin_user, sent):
    stub_server.route("POST", PATH, (201, envelope(), {"Location": "https://emsp.example/cdrs/x"}))
    original = sent(own_cdr, cdr_id="CDR1", total_excl="5.00", total_incl="5.50")
    credit, corrected = sent(
        cdr_credit, cdr_pk=original.pk, user=admin_user, comment="overcharged", correction=Correction(reprice=True)
    )
    assert corrected.cdr_id == "CDR1-R" and not corrected.credit
    assert (corrected.total_cost_excl_vat, corrected.total_cost_incl_vat) == (Decimal("4.00"), Decimal("4.40"))
    assert corrected.corrects == original
    assert set(original.corrected_cdrs.all()) == {corrected} and set(original.credit_cdrs.all()) == {credit}
    assert [r.json()["id"] for r in stub_server.calls("POST", PATH)] == ["CDR1", "CDR1-C", "CDR1-R"]


def test_corrected_cdr_with_a_total_entered_by_hand(stub_server, owner, admin_user, sent):
    stub_server.route("POST", PATH, (201, envelope(), {}))
    original = sent(own_cdr, cdr_id="CDR1")
    _, corrected = cdr_credit(
        cdr_pk=original.pk,
        user=admin_user,
        comment="goodwill",
        correction=Correction(total_cost_excl_vat=Decimal("3.00"), total_cost_incl_vat=Decimal("3.30")),
    )
    assert (corrected.total_cost_excl_vat, corrected.total_cost_incl_vat) == (Decimal("3.00"), Decimal("3.30"))
    assert corrected.total_time_cost_excl_vat is None  # the breakdown would no longer add up


def test_credit_closes_an_open_dispute_and_cannot_be_repeated(stub_server, owner, admin_user, sent):
    stub_server.route("POST", PATH, (201, envelope(), {}))
    original = sent(own_cdr, cdr_id="CDR1")
    cdr_dispute_open(cdr_pk=original.pk, user=admin_user, comment="driver complains")
    cdr_credit(cdr_pk=original.pk, user=admin_user, comment="agreed")
    original.refresh_from_db()
    assert original.dispute_state == DisputeState.CREDITED
    with pytest.raises(StateConflict, match="already been credited"):
        cdr_credit(cdr_pk=original.pk, user=admin_user, comment="again")
    credit = Cdr.objects.get(cdr_id="CDR1-C")
    with pytest.raises(StateConflict, match="credit CDR cannot be credited"):
        cdr_credit(cdr_pk=credit.pk, user=admin_user, comment="again")
    with pytest.raises(InvalidInput):
        cdr_credit(cdr_pk=original.pk, user=admin_user, comment=" ")


def test_received_cdrs_are_not_credited_by_us(cpo, admin_user):
    from tests.cdrs.factories import received_cdr

    cdr = received_cdr(cpo[0])
    with pytest.raises(StateConflict, match="ask the CPO"):
        cdr_credit(cdr_pk=cdr.pk, user=admin_user, comment="no")


def test_received_credit_cdr_marks_the_original_credited(client, cpo):
    from tests.cdrs.factories import cdr_payload
    from tests.cdrs.test_receiver import post

    _, token = cpo
    post(client, token, cdr_payload())
    response = post(
        client,
        token,
        cdr_payload(
            id="12345-C", credit=True, credit_reference_id="12345", total_cost={"excl_vat": -4, "incl_vat": -4.4}
        ),
    )
    assert response.status_code == 201
    original, credit = Cdr.objects.get(cdr_id="12345"), Cdr.objects.get(cdr_id="12345-C")
    assert credit.credited_cdr == original
    assert original.review_status == ReviewStatus.CREDITED


def test_corrected_cdr_of_a_36_character_id_gets_a_fresh_id(stub_server, owner, admin_user, sent):
    """Found by the end-to-end test: our CDR ids are session UUIDs, and '-R' made the corrected CDR 38 characters
    long, over the 36 a normal CDR may have (mod_cdrs.asciidoc, CDR object, id)."""
    stub_server.route("POST", PATH, (201, envelope(), {}))
    original = sent(own_cdr, cdr_id="8ed6f48f-f9bf-4457-bf4b-ccc4483117e3")
    credit, corrected = sent(
        cdr_credit, cdr_pk=original.pk, user=admin_user, comment="x", correction=Correction(reprice=True)
    )
    assert credit.cdr_id == "8ed6f48f-f9bf-4457-bf4b-ccc4483117e3-C"
    assert len(corrected.cdr_id) == 36 and corrected.cdr_id != original.cdr_id
    assert corrected.remark == "Corrects CDR 8ed6f48f-f9bf-4457-bf4b-ccc4483117e3: re-priced"
    assert corrected.corrects == original


def test_the_owner_is_the_connected_partner_not_one_that_unregistered(stub_server, owner, sent):
    """Found by the end-to-end suite: after an eMSP re-registered, its old, unregistered partner record still held
    the eMSP role and got the CDR (nothing was sent)."""
    from roaming.partners.choices import PartnerStatus

    stub_server.route("POST", PATH, (201, envelope(), {}))
    owner.status = PartnerStatus.UNREGISTERED
    owner.save()
    again, _ = registered_partner_with_token(
        country_code="DE", party_id="TNM", endpoints=[("cdrs", "RECEIVER", f"{stub_server.url}{PATH}")]
    )
    assert sent(own_cdr, cdr_id="CDR1").partner == again
    assert len(stub_server.calls("POST", PATH)) == 1
