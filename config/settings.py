"""Django settings, all read through the one ``env`` of ``config/env.py``.

Defaults give a working back office from one command: SQLite in the project folder and Celery tasks executed
in-process. Setting ``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL, Redis and real Celery workers.
Every knob is documented in ``.env.example``.
"""

import warnings
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env

# --- Core -------------------------------------------------------------------------------------------------
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
# Values that must never sign sessions in production: the development default and the placeholder of .env.example.
INSECURE_SECRET_KEYS = {DEV_SECRET_KEY, "change-me", ""}
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (SECRET_KEY in INSECURE_SECRET_KEYS or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or a known default while DEBUG is off: set a long random SECRET_KEY (see .env.example)"
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First: its templates (the admin's base page, dashboard, header) override the theme's.
    "roaming.core",
    # The admin's theme (django-unfold: dashboard, charts, form widgets; every asset ships in the package and is
    # served from our static files). Before django.contrib.admin: its templates win and it installs its admin site.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: back offices run on closed networks
    "django_celery_beat",
    "import_export",  # finance exports (CSV/XLSX) of the CDR list
    "roaming.ocpi",
    "roaming.partners",
    "roaming.locations",
    "roaming.tariffs",
    "roaming.tokens",
    "roaming.sessions",
    "roaming.cdrs",
    "roaming.commands",
    "roaming.reconciliation",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # first: /health answers whatever the Host header (see config/health.py)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "roaming.ocpi.middleware.OcpiRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "roaming.core.timezones.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with the health check skipped on a connection that served a request moments ago
    # (roaming/core/backends/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "roaming.core.backends.postgresql"
DATABASE_HEALTH_CHECK_GRACE = env.float("DATABASE_HEALTH_CHECK_GRACE", default=2.0)
# The hot statements (roaming.core.sql.hot_cursor) are prepared on each connection. Off for a pooler that cannot keep
# prepared statements across transactions (PgBouncer before 1.21 in transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (dev server, eager tasks) write to the same file: wait instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# No REDIS_URL: run tasks in-process at once, so a newcomer needs no broker and no worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="roaming")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

# --- Auth, i18n, static -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
# The operator's time zone: what the admin shows times in (staff may pick another; see roaming/core/timezones.py).
# Everything is stored and exchanged over OCPI in UTC whatever this says.
TIME_ZONE = env.str("OPERATOR_TIME_ZONE", default="UTC")
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes: next to the checkout by default; set STATIC_ROOT for an installed package.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve admin assets straight from the apps when collectstatic has not run (dev, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Until collectstatic has run (dev, tests) WhiteNoise warns that STATIC_ROOT is missing; the finders serve instead.
warnings.filterwarnings("ignore", message="No directory at")

LOGIN_URL = "admin:login"

# The admin's theme (django-unfold). The sidebar lists the sections a user's permissions allow (staff groups,
# roaming/core/staff_groups.py), so business staff never see the technical ones.
UNFOLD = {
    "SITE_TITLE": "Roaming back office",
    "SITE_HEADER": "Roaming back office",
    "SITE_SUBHEADER": "OCPI 2.2.1 CPO and eMSP",
    "SITE_SYMBOL": "ev_station",
    "SITE_URL": "/admin/",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": "roaming.core.admin.favicon_url"}],
    "SHOW_VIEW_ON_SITE": False,
    "STYLES": ["roaming.core.admin.stylesheet_url"],
    "DASHBOARD_CALLBACK": "roaming.core.dashboard.dashboard_callback",
    "SIDEBAR": {"show_search": True, "show_all_applications": True},
}

# --- HTTPS (manage.py check --deploy is clean with the production values of .env.example). Off by default: a
# plain-HTTP loopback deployment (tests, a dev box) must keep working. Behind a TLS-terminating proxy turn on
# SECURE_PROXY_SSL_HEADER_ENABLED so Django trusts its X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Django REST framework (internal API; OCPI views override all of this in roaming.ocpi) ---------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "roaming.core.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Roaming back office internal API",
    "DESCRIPTION": "The API the operator's own systems (CSMS) call. OCPI endpoints are documented by the OCPI spec.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One OpenAPI name per choice set where field names collide (a session's status vs a charger's).
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "roaming.sessions.choices.SessionStatus",
        "EvseStatusEnum": "roaming.locations.choices.Status",
        "TokenTypeEnum": "roaming.tokens.choices.TokenType",
        "CommandResultEnum": "roaming.commands.choices.CommandResultType",
        "CommandResponseEnum": "roaming.commands.choices.CommandResponseType",
    },
}

# --- Prometheus metrics (/metrics) --------------------------------------------------------------------------
# Open to these networks, or to callers sending "Authorization: Bearer <METRICS_TOKEN>".
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.0/8", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- This platform's OCPI identity ------------------------------------------------------------------------
OCPI_BASE_URL = env.str("OCPI_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
OCPI_COUNTRY_CODE = env.str("OCPI_COUNTRY_CODE", default="NL").upper()
OCPI_PARTY_ID = env.str("OCPI_PARTY_ID", default="EXA").upper()
OCPI_ROLES = [r.strip().upper() for r in env.list("OCPI_ROLES", default=["CPO", "EMSP"]) if r.strip()]
OCPI_BUSINESS_NAME = env.str("OCPI_BUSINESS_NAME", default="Example Roaming Back Office")
OCPI_BUSINESS_WEBSITE = env.str("OCPI_BUSINESS_WEBSITE", default="")
# Largest page a partner may ask for on our list endpoints (X-Limit), and the page size when it asks none.
OCPI_PAGE_LIMIT_MAX = env.int("OCPI_PAGE_LIMIT_MAX", default=1000)
OCPI_PAGE_LIMIT_DEFAULT = env.int("OCPI_PAGE_LIMIT_DEFAULT", default=100)
# Outbound client.
OCPI_CLIENT_TIMEOUT = env.float("OCPI_CLIENT_TIMEOUT", default=30.0)
OCPI_CLIENT_RETRIES = env.int("OCPI_CLIENT_RETRIES", default=3)
OCPI_CLIENT_BACKOFF = env.float("OCPI_CLIENT_BACKOFF", default=0.5)
# SSRF: refuse partner-supplied URLs that resolve to private/loopback addresses. Set it in production; off by default
# because development and the test suite run partners on loopback.
OCPI_REFUSE_PRIVATE_ADDRESSES = env.bool("OCPI_REFUSE_PRIVATE_ADDRESSES", default=False)
# Traffic log: bodies are cut to this many characters; entries older than the retention are pruned.
OCPI_TRAFFIC_LOG_BODY_LIMIT = env.int("OCPI_TRAFFIC_LOG_BODY_LIMIT", default=10_000)
OCPI_TRAFFIC_LOG_RETENTION_DAYS = env.int("OCPI_TRAFFIC_LOG_RETENTION_DAYS", default=30)
OCPI_TRAFFIC_LOG_ENABLED = env.bool("OCPI_TRAFFIC_LOG_ENABLED", default=True)
# Successful inbound calls are written in batches, at most this many seconds after the call (0: each at once) or as
# soon as OCPI_TRAFFIC_LOG_BATCH wait; refusals, errors and outbound calls are always written at once.
OCPI_TRAFFIC_LOG_FLUSH_SECONDS = env.float("OCPI_TRAFFIC_LOG_FLUSH_SECONDS", default=1.0)
OCPI_TRAFFIC_LOG_BATCH = env.int("OCPI_TRAFFIC_LOG_BATCH", default=200)
# Who answers "who is calling with this token?": the partners app (the core imports no module app).
OCPI_CREDENTIALS_BACKEND = "roaming.partners.authentication.PartnerCredentialsBackend"


# Fernet key(s) encrypting the tokens partners issued us (we must send them back, so they cannot be hashed).
# Comma-separated: the first encrypts, all decrypt, which allows key rotation. Never derived from SECRET_KEY (rotating
# that must not make stored tokens unreadable, and one leaked secret must not reveal both); with DEBUG on a fixed
# development key is used when none is set.
DEV_CREDENTIALS_ENCRYPTION_KEY = "ZGV2LW9ubHktaW5zZWN1cmUtZmVybmV0LWtleS0wMDA="
CREDENTIALS_ENCRYPTION_KEYS = [k.strip() for k in env.list("CREDENTIALS_ENCRYPTION_KEYS", default=[]) if k.strip()] or (
    [DEV_CREDENTIALS_ENCRYPTION_KEY] if DEBUG else []
)
if not DEBUG and (not CREDENTIALS_ENCRYPTION_KEYS or DEV_CREDENTIALS_ENCRYPTION_KEY in CREDENTIALS_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "CREDENTIALS_ENCRYPTION_KEYS is missing or the development default while DEBUG is off: generate one with "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )

# --- Logging ----------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# The model OCPI callers resolve to, referenced lazily by the core's traffic log (like AUTH_USER_MODEL).
OCPI_PARTNER_MODEL = "partners.Partner"
# Module URLs are mounted without trailing slashes (OCPI 2.2.1-d2 convention), so their routes start with "/".
SILENCED_SYSTEM_CHECKS = ["urls.W002"]

# Push engine (outbox): exponential backoff base and cap in seconds, attempts before a push is marked failed.
OCPI_PUSH_BACKOFF_BASE = env.float("OCPI_PUSH_BACKOFF_BASE", default=2.0)
OCPI_PUSH_BACKOFF_MAX = env.float("OCPI_PUSH_BACKOFF_MAX", default=3600.0)
OCPI_PUSH_MAX_ATTEMPTS = env.int("OCPI_PUSH_MAX_ATTEMPTS", default=15)
# Messages due later (coalesced session PATCHes) wake a worker once per partner and module per window of this many
# seconds of due times: delivered up to that much later than due, for a broker message per window, not per message.
OCPI_PUSH_WAKE_SECONDS = env.float("OCPI_PUSH_WAKE_SECONDS", default=5.0)
# Pull engine: page size we ask partners for; a run silent for this long is considered crashed and resumed.
OCPI_PULL_PAGE_LIMIT = env.int("OCPI_PULL_PAGE_LIMIT", default=1000)
OCPI_PULL_STALE_SECONDS = env.int("OCPI_PULL_STALE_SECONDS", default=600)
# CDRs: a received CDR whose total cost differs from our recomputation by more than this is flagged for review.
CDR_PRICE_TOLERANCE = Decimal(env.str("CDR_PRICE_TOLERANCE", default="0.01"))
# Who answers "which partners receive pushes, with which client?": the partners app.
OCPI_PARTNER_DIRECTORY = "roaming.partners.directory.PartnerDirectory"

# --- Sessions (roaming.sessions) ------------------------------------------------------------------------------
# Meter updates of one session within this many seconds become one PATCH to the eMSP (status changes go at once).
SESSIONS_PATCH_INTERVAL_SECONDS = env.int("SESSIONS_PATCH_INTERVAL_SECONDS", default=60)
# Currency of a session whose connector has no tariff.
SESSIONS_DEFAULT_CURRENCY = env.str("SESSIONS_DEFAULT_CURRENCY", default="EUR")
# Who hands an eMSP's charging preferences to our CSMS (roaming.sessions.adapters documents the interface).
SESSIONS_CSMS_ADAPTER = env.str("SESSIONS_CSMS_ADAPTER", default="roaming.sessions.adapters.LoggingCsmsAdapter")
# Hostile input: largest request body accepted on /ocpi/ (bytes, refused before reading) and deepest JSON nesting.
OCPI_REQUEST_BODY_LIMIT = env.int("OCPI_REQUEST_BODY_LIMIT", default=2_000_000)
OCPI_JSON_MAX_DEPTH = env.int("OCPI_JSON_MAX_DEPTH", default=64)
# Publishing a task after a commit is best effort (roaming.ocpi.queueing): one attempt, connecting for at most this
# many seconds (CELERY_PUBLISH_TIMEOUT), so a broker outage costs a write a moment, not kombu's retries.
CELERY_PUBLISH_TIMEOUT = env.float("CELERY_PUBLISH_TIMEOUT", default=1.0)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_PUBLISH_TIMEOUT
# kombu otherwise retries establishing the publishing connection for seconds (1.26 s per write in the broker drill).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_PUBLISH_TIMEOUT,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Housekeeping (daily): delivered/superseded/cancelled pushes and finished pulls older than this are deleted.
OCPI_OUTBOX_RETENTION_DAYS = env.int("OCPI_OUTBOX_RETENTION_DAYS", default=30)
OCPI_SYNC_RUN_RETENTION_DAYS = env.int("OCPI_SYNC_RUN_RETENTION_DAYS", default=90)
# Incremental pulls ask date_from this many seconds before the last successful run started (clock skew).
OCPI_PULL_CLOCK_SKEW_SECONDS = env.int("OCPI_PULL_CLOCK_SKEW_SECONDS", default=120)
# A partner's credentials PUT: its previous token C stays valid this long, or until it first uses the new one.
OCPI_CREDENTIALS_ROTATION_GRACE_SECONDS = env.int("OCPI_CREDENTIALS_ROTATION_GRACE_SECONDS", default=300)

# --- Commands (roaming.commands) ------------------------------------------------------------------------------
# Our CPO: the timeout announced in each CommandResponse; the CSMS not answering by then means a TIMEOUT result.
COMMANDS_TIMEOUT_SECONDS = env.int("COMMANDS_TIMEOUT_SECONDS", default=60)
# Our eMSP: a result later than the CPO's announced timeout plus this grace marks the command TIMEOUT.
COMMANDS_RESULT_GRACE_SECONDS = env.int("COMMANDS_RESULT_GRACE_SECONDS", default=10)
# Who hands received commands to our CSMS (roaming.commands.adapters documents the interface).
COMMANDS_CSMS_ADAPTER = env.str("COMMANDS_CSMS_ADAPTER", default="roaming.commands.adapters.WebhookCsmsAdapter")
# The webhook adapter: where it POSTs, the shared secret signing each call (HMAC-SHA256), its HTTP timeout.
COMMANDS_CSMS_WEBHOOK_URL = env.str("COMMANDS_CSMS_WEBHOOK_URL", default="")
COMMANDS_CSMS_WEBHOOK_SECRET = env.str("COMMANDS_CSMS_WEBHOOK_SECRET", default="")
COMMANDS_CSMS_WEBHOOK_TIMEOUT = env.float("COMMANDS_CSMS_WEBHOOK_TIMEOUT", default=10.0)
# The simulator adapter (demos, tests): answer delay, charging power, meter interval, chargers (CSMS ids) it plays
# as offline (they never answer).
COMMANDS_SIMULATOR_DELAY_SECONDS = env.float("COMMANDS_SIMULATOR_DELAY_SECONDS", default=1.0)
COMMANDS_SIMULATOR_POWER_W = env.int("COMMANDS_SIMULATOR_POWER_W", default=11000)
COMMANDS_SIMULATOR_METER_INTERVAL_SECONDS = env.int("COMMANDS_SIMULATOR_METER_INTERVAL_SECONDS", default=60)
COMMANDS_SIMULATOR_OFFLINE_CHARGERS = env.list("COMMANDS_SIMULATOR_OFFLINE_CHARGERS", default=[])
# Internal API: the longest ``?wait=`` a caller may ask for (seconds).
COMMANDS_API_MAX_WAIT_SECONDS = env.int("COMMANDS_API_MAX_WAIT_SECONDS", default=30)

# --- Reconciliation (roaming.reconciliation) ------------------------------------------------------------------
# A completed session with no CDR after this many hours, and a session ACTIVE for longer than this, are reported.
RECONCILIATION_CDR_GRACE_HOURS = env.int("RECONCILIATION_CDR_GRACE_HOURS", default=48)
RECONCILIATION_ACTIVE_SESSION_MAX_HOURS = env.int("RECONCILIATION_ACTIVE_SESSION_MAX_HOURS", default=24)
# Who is mailed (Django's email backend) when a run finds differences; empty: nobody.
RECONCILIATION_NOTIFY_EMAILS = env.list("RECONCILIATION_NOTIFY_EMAILS", default=[])

# --- Tokens (roaming.tokens) ----------------------------------------------------------------------------------
# How long our CPO side waits for an eMSP's real-time authorization before falling back (ALLOWED_OFFLINE: cache).
TOKENS_REALTIME_TIMEOUT = env.float("TOKENS_REALTIME_TIMEOUT", default=2.0)
# Our eMSP's authorization rule chain (roaming.tokens.services.authorize documents the hook).
TOKENS_AUTHORIZATION_RULES = env.list(
    "TOKENS_AUTHORIZATION_RULES", default=["roaming.tokens.services.authorize.rule_token_valid"]
)
