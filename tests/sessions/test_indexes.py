"""The session table's indexes (roaming/sessions/models.py Meta): what the queries use, nothing every write pays for
in vain (a meter reading rewrites the row and, never a HOT update, every index)."""

import pytest
from django.db import IntegrityError, connection, transaction

from roaming.sessions.models import ChargingSession
from tests.sessions.factories import cached_token, charger, start_body

pytestmark = pytest.mark.django_db


def index_definitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [ChargingSession._meta.db_table])
        return [row[0] for row in cursor.fetchall()]


def test_no_pattern_ops_twin_indexes():
    definitions = index_definitions()
    assert not [d for d in definitions if "pattern_ops" in d]
    for column in ("status", "token_uid", "contract_id", "csms_transaction_id"):
        assert [d for d in definitions if d.endswith(f"({column})")], column  # the plain index stays


def test_the_csms_transaction_id_is_still_unique(csms):
    cached_token()
    charger()
    assert csms("post", "sessions", start_body("TX-1")).status_code == 201
    copy = ChargingSession.objects.get()
    copy.pk, copy.session_id = None, "ANOTHER"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
