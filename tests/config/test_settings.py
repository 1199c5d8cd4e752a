"""Production settings refuse to start on default secrets, and ``check --deploy`` is clean for .env.example."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "d0c8b1f1b2b54f9e8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4"
GOOD_FERNET = "cHJvZHVjdGlvbi1sb29raW5nLWZlcm5ldC1rZXktMDE="


def run(args: list[str], **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "CREDENTIALS_", "DEBUG"))}
    base.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


def import_settings(**env) -> subprocess.CompletedProcess:
    return run(["-c", "import config.settings as s; print(s.CREDENTIALS_ENCRYPTION_KEYS)"], **env)


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"CREDENTIALS_ENCRYPTION_KEYS": GOOD_FERNET}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "change-me", "CREDENTIALS_ENCRYPTION_KEYS": GOOD_FERNET}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": GOOD_KEY}, "CREDENTIALS_ENCRYPTION_KEYS is missing"),
    ],
)
def test_debug_off_refuses_default_or_missing_secrets(env, complaint):
    result = import_settings(DEBUG="false", **env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_the_encryption_key_is_not_derived_from_secret_key():
    result = import_settings(DEBUG="true", SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    import base64
    import hashlib

    derived = base64.urlsafe_b64encode(hashlib.sha256(GOOD_KEY.encode()).digest()).decode()
    assert derived not in result.stdout


def production_env() -> dict:
    """.env.example's values, with real secrets and hosts in place of its placeholders."""
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    env.update(SECRET_KEY=GOOD_KEY, CREDENTIALS_ENCRYPTION_KEYS=GOOD_FERNET, ALLOWED_HOSTS="roaming.example.com")
    return env


def test_check_deploy_is_clean_with_the_production_settings_of_env_example():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
