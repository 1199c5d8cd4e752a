"""API keys of the internal API (roaming/core/api_keys.py, authentication.py, admin): stored as digests only,
refused when revoked or the user is inactive, one query per call, and issued in the admin with the key shown once."""

import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roaming.core.api_keys import api_key_create, api_key_revoke
from roaming.core.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("csms", password="x", is_staff=True)


def call(client, key: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key is not None else {}
    return client.get("/api/v1/tokens", **headers)


def test_only_the_digest_is_stored(staff):
    api_key, key = api_key_create(user=staff, name="CSMS production")
    stored = ApiKey.objects.values_list("digest", "prefix").get(pk=api_key.pk)
    assert stored == (hashlib.sha256(key.encode()).hexdigest(), key[:8])
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_apikey")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)


def test_a_live_key_of_a_staff_user_is_let_in_with_one_query(client, staff):
    key = api_key_create(user=staff, name="CSMS")[1]
    call(client, key)  # first use: marks the key used
    assert ApiKey.objects.get().last_used_at is not None
    from roaming.core.api_keys import api_key_user

    with CaptureQueriesContext(connection) as queries:
        user = api_key_user(key)
    assert user.pk == staff.pk and user.is_staff
    assert len(queries) == 1  # used a moment ago: no write


def test_refused_unknown_revoked_inactive_and_not_staff(client, staff):
    api_key, key = api_key_create(user=staff, name="CSMS")
    assert call(client, key).status_code == 200
    assert call(client, key + "x").status_code == 401
    assert call(client, "a b").status_code == 401
    assert call(client, None).status_code == 401
    api_key_revoke(api_key=api_key)
    assert call(client, key).status_code == 401
    other = get_user_model().objects.create_user("gone", password="x", is_staff=True, is_active=False)
    assert call(client, api_key_create(user=other, name="old")[1]).status_code == 401
    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=False)
    assert call(client, api_key_create(user=clerk, name="crm")[1]).status_code == 403


def test_a_drf_token_from_before_keeps_working_as_a_hashed_key(staff):
    """The data migration (core 0002) turns clear-text DRF tokens into digests and deletes the clear text."""
    import importlib

    migration = importlib.import_module("roaming.core.migrations.0002_api_keys_from_drf_tokens")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamptz)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', %s, now())", [staff.pk]
        )

    from django.apps import apps as global_apps

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.forwards(global_apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    from roaming.core.api_keys import api_key_user

    assert api_key_user("0123456789abcdef0123456789abcdef01234567").pk == staff.pk


def test_issued_in_the_admin_and_shown_once(admin_client, staff):
    response = admin_client.post("/admin/core/apikey/add/", {"name": "CSMS production", "user": staff.pk}, follow=True)
    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="CSMS production")
    shown = [str(m) for m in response.context["messages"] if "cannot be shown again" in str(m)]
    assert len(shown) == 1
    key = shown[0].split("<code>")[1].split("</code>")[0]
    assert hashlib.sha256(key.encode()).hexdigest() == api_key.digest
    page = admin_client.get(f"/admin/core/apikey/{api_key.pk}/change/").content.decode()
    assert key not in page and api_key.prefix in page
    admin_client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
