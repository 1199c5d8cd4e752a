"""Our own EVSE IDs are unique in the database in their normalised form (issue 9; eMI3 EVSE ID: upper-case, the
``*`` separators optional), not only in the services; partners' EVSEs are theirs to get right."""

import pytest
from django.db import IntegrityError, transaction

from roaming.locations.models import EVSE
from tests.locations.factories import EVSEFactory, location_with_evses

pytestmark = pytest.mark.django_db


def test_a_second_own_evse_with_the_same_normalised_evse_id_is_refused_by_the_database():
    EVSEFactory(evse_id="NL*EXA*E1234")

    with pytest.raises(IntegrityError), transaction.atomic():
        EVSEFactory(evse_id="nlexae1234")  # the same EVSE ID, written differently

    assert EVSE.objects.count() == 1


def test_empty_evse_ids_and_partners_evses_are_not_constrained(push, location_example):
    EVSEFactory(evse_id="")
    EVSEFactory(evse_id="")
    own = location_with_evses(evses=1, connectors=1)
    body = location_example
    body["evses"][0]["evse_id"] = own.evses.get().evse_id  # a partner reusing one of our ids: stored as sent

    assert push("PUT", "BE/BEC/LOC1", body).status_code == 201
    assert EVSE.objects.filter(received=True).count() == 2
