"""``roaming.core.records.record_create``: a record row committed without waiting for the disk."""

import pytest
from django.db import connection, transaction

from roaming.core.records import record_create
from roaming.tokens.models import IssuedAuthorization
from tests.tokens.factories import TokenFactory


def show_synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_record_is_inserted_in_one_statement_and_the_connection_keeps_its_setting(django_assert_num_queries):
    token = TokenFactory(uid="REC1")

    with django_assert_num_queries(1):
        issued = record_create(
            IssuedAuthorization, authorization_reference="ref-1", token=token, allowed="ALLOWED", evse_uids=["E1"]
        )

    stored = IssuedAuthorization.objects.get(pk=issued.pk)
    assert (stored.authorization_reference, stored.token_id, stored.evse_uids) == ("ref-1", token.pk, ["E1"])
    assert stored.created_at == issued.created_at and issued.created_at is not None
    assert issued._state.adding is False
    assert show_synchronous_commit() == "on"  # only that one transaction committed without waiting


@pytest.mark.django_db
def test_inside_a_callers_transaction_it_is_a_plain_insert():
    token = TokenFactory(uid="REC2")
    with transaction.atomic():
        issued = record_create(IssuedAuthorization, authorization_reference="ref-2", token=token, allowed="BLOCKED")
        assert show_synchronous_commit() == "on"  # the caller's commit is left alone
    assert IssuedAuthorization.objects.get(pk=issued.pk).allowed == "BLOCKED"
