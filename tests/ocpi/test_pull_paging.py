"""The pull engine with a sender whose paging Link is unusable (issue 10): every page is fetched by offset, and a
run that fails mid-way resumes at the page it had not received."""

from urllib.parse import parse_qs

import pytest

from roaming.ocpi import pull
from roaming.ocpi.models import SyncRun
from roaming.ocpi.pull import PullHandler, sync_pull
from tests.partners.factories import registered_partner_with_token
from tests.stub_server import envelope

pytestmark = pytest.mark.django_db

PATH = "/ocpi/2.2.1/cpo/things"
OBJECTS = [{"id": f"o{i}"} for i in range(5)]


@pytest.fixture
def ingested(monkeypatch):
    received = []

    def ingest(*, partner_id, objects):
        received.extend(o["id"] for o in objects)
        return {"accepted": len(objects), "ignored": 0, "rejected": []}

    monkeypatch.setitem(pull._handlers, "things", PullHandler(module="things", ingest=ingest))
    return received


@pytest.fixture
def sender(stub_server, settings):
    settings.OCPI_CLIENT_RETRIES = 0
    settings.OCPI_PULL_PAGE_LIMIT = 2
    partner, _ = registered_partner_with_token(
        role="CPO", party_id="CPO", endpoints=[("things", "SENDER", f"{stub_server.url}{PATH}")]
    )
    return partner


def serve(stub, *, fail_at_offset=None):
    def handle(request):
        query = {k: v[0] for k, v in parse_qs(request.query).items()}
        offset, limit = int(query.get("offset", 0)), int(query["limit"])
        if offset == fail_at_offset:
            return 503, envelope(status_code=3000, message="busy")
        # Link on another scheme, like py-ocpi's: unusable
        link = f'<https://elsewhere.example{PATH}?offset={offset + limit}>; rel="next"'
        return 200, envelope(OBJECTS[offset : offset + limit]), {"X-Total-Count": "5", "Link": link}

    stub.route("GET", PATH, handle)


def test_every_page_is_pulled_by_offset(stub_server, sender, ingested):
    serve(stub_server)

    run = sync_pull(partner_id=sender.pk, module="things")

    assert (run.status, run.pages, run.received) == ("succeeded", 3, 5)
    assert ingested == [o["id"] for o in OBJECTS]
    # Every page carries the run's explicit upper bound (py-ocpi defaults date_to to its start-up time).
    date_tos = {parse_qs(r.query)["date_to"][0] for r in stub_server.calls("GET", PATH)}
    assert date_tos == {run.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_a_failed_run_resumes_at_the_first_page_it_did_not_receive(stub_server, sender, ingested):
    serve(stub_server, fail_at_offset=4)

    failed = sync_pull(partner_id=sender.pk, module="things")

    assert failed.status == SyncRun.Status.FAILED
    assert failed.resume_url.startswith(f"{stub_server.url}{PATH}?date_to=")
    assert failed.resume_url.endswith("&offset=4&limit=2")
    serve(stub_server)

    resumed = sync_pull(partner_id=sender.pk, module="things")

    assert resumed.pk == failed.pk
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert ingested == [o["id"] for o in OBJECTS]  # nothing twice, nothing skipped
