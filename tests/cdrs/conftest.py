"""Fixtures of the cdrs tests: a CPO partner posting CDRs to our eMSP, an eMSP partner our CPO sends CDRs to."""

import pytest

from tests.partners.factories import registered_partner_with_token


@pytest.fixture
def cpo(db):
    """CPO partner BE/BEC (the spec example's owner) and the token it calls us with."""
    return registered_partner_with_token(country_code="BE", party_id="BEC", role="CPO")


@pytest.fixture
def emsp(db):
    """eMSP partner DE/TNM (the spec example's token owner) and its token."""
    return registered_partner_with_token(country_code="DE", party_id="TNM", role="EMSP")
