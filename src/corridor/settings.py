"""Django settings, read from the environment through the typed helpers in :mod:`corridor.env`."""

from __future__ import annotations

import os
from pathlib import Path

from corridor import env
from corridor.intake import sources as intake_sources

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env.data_dir()

DEBUG = env.envbool("CORRIDOR_DEBUG", False)
SECRET_KEY = env.secret_key(DATA_DIR)
# Encrypts patients' identity fields (see corridor.register.crypto); never stored in the database.
IDENTITY_KEYS, IDENTITY_KEY_ORIGIN = env.identity_keys(DATA_DIR)
ALLOWED_HOSTS = [h.strip() for h in env.envstr("CORRIDOR_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
TODAY = env.envdate("CORRIDOR_TODAY")
# How far past Corridor's "now" a recorded moment may be (clocks of phones and servers drift).
CLOCK_TOLERANCE_MINUTES = env.envint("CORRIDOR_CLOCK_TOLERANCE_MINUTES", 10, minimum=0)
AUTONOMY_ALERT_DAYS = env.envint("CORRIDOR_AUTONOMY_ALERT_DAYS", 7, minimum=1)
# A hold at the gate this long or longer counts as an obstruction incident (docs/indicators.md).
GATE_HOLD_THRESHOLD_MINUTES = env.envint("CORRIDOR_GATE_HOLD_THRESHOLD_MINUTES", 120, minimum=0)
# Who issues the reports and dossiers: printed on every cover (docs/indicators.md).
REPORT_ORGANISATION = env.envstr("CORRIDOR_REPORT_ORGANISATION", "").strip()
REPORT_CONTACT = env.envstr("CORRIDOR_REPORT_CONTACT", "").strip()
REPORT_LOGO = env.envfile("CORRIDOR_REPORT_LOGO")
if REPORT_LOGO is not None and REPORT_LOGO.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
    raise env.ConfigError("CORRIDOR_REPORT_LOGO must be a PNG, JPEG or SVG file")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corridor.ledger",
    "corridor.register",
    "corridor.transfers",
    "corridor.accounts",
    "corridor.supplies",
    "corridor.intake",
    "corridor.web",
    "corridor.reports",
    "django_tasks",
    "django_tasks_db",
    "corridor.jobs",
    "ninja",  # only for its bundled API docs assets, served locally instead of from a CDN
    "corridor.api",
]

MIDDLEWARE = [
    "corridor.api.middleware.ApiErrorMiddleware",  # JSON errors under /api/, whichever layer refused
    "corridor.replica.ReplicaMiddleware",  # lag-tolerant reads to the replica; read-your-writes (a no-op without one)
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "corridor.web.middleware.UserLanguageMiddleware",
    "corridor.web.middleware.PasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "corridor.replica.RetryOnPrimaryMiddleware",  # last: a lag-tolerant read the replica failed, again on the primary
]

ROOT_URLCONF = "corridor.urls"
WSGI_APPLICATION = "corridor.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

_database_url = os.environ.get("CORRIDOR_DATABASE_URL")
DATABASES = {
    "default": env.database_from_url(_database_url)
    if _database_url
    else env.sqlite_database(DATA_DIR / "corridor.sqlite3")
}

# A PostgreSQL streaming replica for reads that tolerate lag (corridor/replica.py, docs/deploy.md). In
# tests it mirrors the primary, so Django does not try to create a test database on a read-only server.
REPLICA_MAX_LAG_SECONDS = env.envint("CORRIDOR_REPLICA_MAX_LAG_SECONDS", 5, minimum=0)
_replica_url = env.envstr("CORRIDOR_DATABASE_REPLICA_URL").strip()
if _replica_url:
    if not _database_url:
        raise env.ConfigError("CORRIDOR_DATABASE_REPLICA_URL needs CORRIDOR_DATABASE_URL (a PostgreSQL primary)")
    DATABASES["replica"] = {
        **env.database_from_url(_replica_url, name="CORRIDOR_DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise env.ConfigError("CORRIDOR_DATABASE_REPLICA_URL must be a postgres:// URL (a streaming replica)")
    DATABASE_ROUTERS = ["corridor.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "فارسی"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Serve static files straight from the apps: no collectstatic step for the demo or a small deployment.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = True  # pages carry the token; htmx sends it as a header (see base.html)
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Everything from our own origin; no inline script or style, no eval (htmx runs with allowEval off).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Login throttling (every sign-in form, the admin's too) counts failures in Django's cache.
AUTHENTICATION_BACKENDS = ["corridor.web.throttle.ThrottledModelBackend"]
LOGIN_FAILURES_ALLOWED = 5  # per address and user name (x4 per address), within LOGIN_LOCKOUT_SECONDS
LOGIN_LOCKOUT_SECONDS = 15 * 60
# How long a break-glass grant to see one patient's identity lasts (docs/roles.md).
BREAK_GLASS_SECONDS = env.envint("CORRIDOR_BREAK_GLASS_SECONDS", 3600, minimum=60)
# The retention schedule (docs/privacy.md): identities of patients who left or died this many years ago
# are listed for erasure. 0, the default, lists none until the organisation has chosen its period.
RETENTION_YEARS = env.envint("CORRIDOR_RETENTION_YEARS", 0, minimum=0)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a proxy that terminates TLS: secure cookies, HSTS, redirect plain HTTP, trust X-Forwarded-Proto.
HTTPS = env.envbool("CORRIDOR_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None

# gunicorn processes for `corridor serve --production` (and what check-deploy weighs against SQLite).
WORKERS = env.envint("CORRIDOR_WORKERS", 2, minimum=1)
# The API's rate limit per user (and for failed sign-ins per address). It is counted in each worker's
# memory: a file write per request would cost more than the request, and a client's kept-alive
# connection stays with one worker.
API_RATE_LIMIT = env.envrate("CORRIDOR_API_RATE_LIMIT", "600/minute")
# Checkpoints the keeper cannot forge alone (docs/evidence.md): independent witnesses that co-sign each
# checkpoint, how many of them must (k of n; default a majority), RFC 3161 time-stamping authorities,
# how long to wait for each and how often to retry; and when `corridor checkpoint --if-due` signs.
WITNESSES = env.envwitnesses("CORRIDOR_WITNESSES")
WITNESS_QUORUM = env.envint("CORRIDOR_WITNESS_QUORUM", len(WITNESSES) // 2 + 1 if WITNESSES else 0, minimum=0)
if len(WITNESSES) < WITNESS_QUORUM:
    raise env.ConfigError(f"CORRIDOR_WITNESS_QUORUM is {WITNESS_QUORUM}, but only {len(WITNESSES)} witnesses are named")
TSA_URLS = env.envlist("CORRIDOR_TSA_URLS")
if any(not url.startswith(("http://", "https://")) for url in TSA_URLS):
    raise env.ConfigError(f"CORRIDOR_TSA_URLS must be http(s) URLs; got {' '.join(TSA_URLS)!r}")
CHECKPOINT_TIMEOUT = env.envint("CORRIDOR_CHECKPOINT_TIMEOUT", 5, minimum=1)
CHECKPOINT_RETRIES = env.envint("CORRIDOR_CHECKPOINT_RETRIES", 2, minimum=0)
CHECKPOINT_EVERY_ENTRIES = env.envint("CORRIDOR_CHECKPOINT_EVERY_ENTRIES", 1000, minimum=1)
CHECKPOINT_EVERY_HOURS = env.envint("CORRIDOR_CHECKPOINT_EVERY_HOURS", 24, minimum=1)
# Automatic field intake (docs/intake.md): the KoBoToolbox and ODK Central servers pulled on the schedule
# or pushing to /intake/push/NAME/, their secrets from variables of their own; checked here, at start-up.
INTAKE_SOURCES = intake_sources.from_environment()
INTAKE_PULL_MINUTES = env.envint("CORRIDOR_INTAKE_PULL_MINUTES", 15, minimum=1)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    },
    "api-throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api-throttle"},
}
# Background jobs (corridor.jobs): the django-tasks database backend, run by `corridor worker`.
# Two queues (corridor.jobs.queues): "default" for what people ask for, "aside" for what may wait behind it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "aside"]}}
# Attachments (corridor.ledger.attachments): the largest file of each kind, in megabytes. Uploads are
# spooled to a temporary file inside the store (never held in memory, never written outside it) from
# the first 64 KB on.
ATTACHMENT_MAX_MB = {
    "image": env.envint("CORRIDOR_ATTACHMENT_MAX_MB_IMAGE", 25, minimum=1),
    "video": env.envint("CORRIDOR_ATTACHMENT_MAX_MB_VIDEO", 500, minimum=1),
    "audio": env.envint("CORRIDOR_ATTACHMENT_MAX_MB_AUDIO", 100, minimum=1),
    "document": env.envint("CORRIDOR_ATTACHMENT_MAX_MB_DOCUMENT", 50, minimum=1),
    "bundle": env.envint("CORRIDOR_ATTACHMENT_MAX_MB_BUNDLE", 500, minimum=1),  # ProofMode proof bundles (zip)
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
FILE_UPLOAD_TEMP_DIR = str(env.upload_dir(DATA_DIR))
# Spooled uploads are named by the process receiving them, so a killed process's are found and removed.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "corridor.ledger.leftovers.SpoolByProcess",
]
FILE_UPLOAD_PERMISSIONS = 0o600
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Tokens, keys, passwords and identity fields are blanked out of every record before it is written.
    "filters": {"redact": {"()": "corridor.logging_filters.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.envstr("CORRIDOR_LOG_LEVEL", "WARNING")},
}
