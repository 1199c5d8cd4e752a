"""Settings of the test suite: the production settings with test-only secrets (which production refuses to start
without), set before ``config.settings`` reads the environment."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-5f1c9a7e2b8d4036a1e9c7b5")
os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", "dGVzdHMtb25seS1mZXJuZXQta2V5LTAxMjM0NTY3ODk=")

from config.settings import *  # noqa: E402, F403

# Tests read the traffic log right after a call: write every entry at once (tests/ocpi/test_traffic_log.py covers
# the batched writer with its own settings).
OCPI_TRAFFIC_LOG_FLUSH_SECONDS = 0.0
