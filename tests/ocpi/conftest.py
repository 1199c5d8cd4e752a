"""Fixtures of the OCPI core tests: an invited partner holding token A, a URL nobody listens on."""

import re
import socket

import pytest

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def invited_partner(db):
    """An invited partner and its registration token A."""
    from roaming.partners.services import partner_invite

    return partner_invite(name="Invited Partner")


@pytest.fixture
def dead_url():
    """An http URL on loopback where nothing listens (the connection is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
