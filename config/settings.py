"""One settings module, driven by environment variables.

With nothing set, the project runs for development: SQLite in var/, Celery
tasks eagerly in-process, e-mail to the console, DEBUG on. The embedded
default that `make run` serves (scripts/embedded.sh) is the same with DEBUG
off, its keys generated in var/ and plain http on loopback. Production sets
DEBUG=0, SECRET_KEY, AUDIT_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django_guid.integrations import CeleryIntegration

from config.logs import LOG_FORMATTERS

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"

# The audit trail's hashes are HMACs keyed with AUDIT_KEY, which is never
# stored in the database (core/audit.py). Rotate by moving the old key into
# AUDIT_PREVIOUS_KEYS (comma-separated) and setting a new AUDIT_KEY.
AUDIT_KEY = env_str("AUDIT_KEY")
if not AUDIT_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("AUDIT_KEY must be set when DEBUG is off")
    AUDIT_KEY = "insecure-development-audit-key-only-for-the-embedded-default"
AUDIT_PREVIOUS_KEYS = env_list("AUDIT_PREVIOUS_KEYS")
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", 3600)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# Audit chain heads, one JSON line each, appended outside the database.
AUDIT_CHECKPOINT_FILE = Path(
    env_str("AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl"))
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "core",
    "usecases",
    "gates",
    "readiness",
    "operations",
    "value",
    "reporting",
    "notifications",
    "identity",
    "integrations",
    "front",
    "monitoring",
    "django_guid",
]

MIDDLEWARE = [
    # Counts every request and times it (monitoring.metrics).
    "monitoring.middleware.RequestMetricsMiddleware",
    # The request id (X-Request-ID, or a new one): in every log line of the
    # request and of the Celery tasks it queues, and in the response.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's saved language, unless this browser chose one.
    "usecases.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "core.middleware.DomainErrorMiddleware",
    # Last, as django-axes requires: it turns a locked sign-in into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Forms render through Django's own Jinja2 form templates (django/forms/jinja2,
# found by APP_DIRS through "django.forms"): the same HTML as its Django
# templates, written several times faster (a review page draws about 40 fields).
# A template the Jinja2 engine lacks (the admin's widgets) falls through to the
# Django engine below, as do all the pages.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "forms",
        "APP_DIRS": True,
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "usecases.context_processors.roles",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# A kept connection is checked before each request reuses it
# (conn_health_checks), and one that failed during a request is dropped when
# the request ends: after a database restart the next request reconnects, and
# the requests made while it was down are a 503 to retry (core/middleware.py).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable host fails fast, as a 503, instead of holding the worker
    # until the web server's timeout. A connect_timeout in DATABASE_URL wins.
    # It bounds opening a connection only: one already open to a database
    # that goes silent waits for TCP to give up.
    connect_timeout = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    if connect_timeout < 1:
        # libpq reads 0 as "wait forever".
        raise ImproperlyConfigured(
            f"DATABASE_CONNECT_TIMEOUT must be 1 second or more, not {connect_timeout}"
        )
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", connect_timeout)
    planner = []
    if not env_bool("DATABASE_JIT", False):
        # PostgreSQL's JIT compiles any statement its planner costs above
        # jit_above_cost; for the aggregates over 10,000+ rows this site runs,
        # compiling takes longer than it saves (140 ms of a 670 ms sweep rule).
        planner.append("-c jit=off")
    if random_page_cost := env_str("DATABASE_RANDOM_PAGE_COST", "1.1"):
        # PostgreSQL's default of 4 prices a random read as a spinning disk's.
        # On SSDs, with the working set in memory, 1.1 lets the planner pick
        # the portfolio search's trigram index over reading all 100,000 use
        # cases (15 against 50 ms), where 4 left the choice to a coin toss.
        try:
            cost = float(random_page_cost)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"DATABASE_RANDOM_PAGE_COST must be a number, not {random_page_cost!r}"
            ) from exc
        planner.append(f"-c random_page_cost={cost}")
    if planner:
        # Before the options DATABASE_URL gives, if any: those come later and
        # win where they set the same parameter.
        given = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = " ".join([*planner, given]).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in throttling (django-axes) and API tokens (django-rest-knox) -------
# Failed sign-ins (the login page, the admin's and POST /api/v1/auth/token/)
# are counted per username in the database, so a lock holds across processes
# and restarts. Per username, not per address: people in one office share an
# address, and a guesser can change theirs. While locked, even the right
# password is refused, until the cool-off passes or a program lead or an
# administrator unlocks the account (usecases.services.account_unlock,
# audited). Failures while locked neither count nor extend the lock.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused (LOCAL_LOGIN=0) to all but the break-glass accounts.
    "identity.backends.LocalPasswordBackend",
    # OpenID Connect's code flow; answers only on its callback, when SSO is on.
    "identity.oidc.SingleSignOnBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be at least 1")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes warns that a lock without the address leaves one address free to try
# many usernames. Locking addresses would lock a whole office out for one
# person's typing; the lock is the account's, and so is its unlock.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "usecases.lockout.lockout_response"
# usecases/admin.py registers axes' models read-only, with the audited unlock.
AXES_ENABLE_ADMIN = False

# API tokens: a new one per client from POST /api/v1/auth/token/, shown once,
# stored as a hash, valid API_TOKEN_TTL_HOURS from its creation (never
# extended by use), revocable by its owner, program leads and administrators.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 30)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be at least 1")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}

# --- Single sign-on (OpenID Connect, mozilla-django-oidc) ------------------
# SSO is on when OIDC_ISSUER is set: the provider's endpoints are read from
# <issuer>/.well-known/openid-configuration at the first sign-in (identity/oidc.py).
# Users are created at their first sign-in; their IdP groups grant roles and
# business units through the mappings an administrator edits (identity.GroupMapping).
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile groups")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
if "openid" not in OIDC_SCOPES.split():
    raise ImproperlyConfigured("OIDC_SCOPES must include openid")
# mozilla-django-oidc's own settings that do not depend on the provider.
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
LOGIN_REDIRECT_URL_FAILURE = "login"
# LOCAL_LOGIN=0 turns sign-in with a password off (sign-in page, admin, API
# token endpoint) for everyone but the BREAK_GLASS_USERS, kept for when the
# identity provider is down.
LOCAL_LOGIN = env_bool("LOCAL_LOGIN", True)
BREAK_GLASS_USERS = env_list("BREAK_GLASS_USERS")
if not LOCAL_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("LOCAL_LOGIN=0 needs single sign-on: set OIDC_ISSUER")

LANGUAGE_CODE = "en-gb"
# The languages people may choose (the switcher, Accept-Language); each app
# keeps its own German catalogue in <app>/locale/, the project's templates in
# locale/.
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The named date formats (DATE_FORMAT, DATETIME_FORMAT, SHORT_DATE_FORMAT, ...)
# per language; templates use the names, never a pattern, so each language
# keeps its own order.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]


def storage_url(value: str) -> dict[str, str]:
    """STORAGE_URL: where artifacts and packs go, in one setting, for the
    settings it stands for: an object store's bucket and prefix
    (s3://stagegate/media: S3_BUCKET and S3_PREFIX; its endpoint, region and
    keys stay S3_*), or a directory (file:///srv/media: MEDIA_ROOT, and no
    object store). Empty: nothing, each setting its own variable."""
    if not value:
        return {}
    parts = urlsplit(value)
    if parts.scheme == "s3" and parts.netloc and not (parts.query or parts.fragment):
        return {"S3_BUCKET": parts.netloc, "S3_PREFIX": unquote(parts.path).strip("/")}
    if parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc:
        return {"MEDIA_ROOT": unquote(parts.path), "S3_BUCKET": ""}
    raise ImproperlyConfigured(
        f"STORAGE_URL={value!r}: an object store's bucket and prefix (s3://stagegate/media; "
        "its endpoint, region and keys in S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID and "
        "S3_SECRET_ACCESS_KEY) or a directory (file:///srv/stagegate/media)"
    )


_storage_url = storage_url(env_str("STORAGE_URL"))
if _clash := [name for name in _storage_url if env_str(name)]:
    raise ImproperlyConfigured(
        f"STORAGE_URL and {' and '.join(_clash)} both say where the files go: give one"
    )


def env_storage(name: str, default: str = "") -> str:
    """A setting STORAGE_URL stands for when given, else its own variable."""
    return _storage_url[name] if name in _storage_url else env_str(name, default)


MEDIA_ROOT = Path(env_storage("MEDIA_ROOT", str(VAR_DIR / "media")))
# No MEDIA_URL route is served: artifacts and packs leave only through
# permission-checked views.
MEDIA_URL = "/media-not-served/"
# Artifacts and packs: the local disk (MEDIA_ROOT) by default; with
# S3_BUCKET set, an S3-compatible object store (AWS S3, MinIO, ...) through
# django-storages, so every web process and worker reads what another wrote.
# Downloads still pass the permission-checked views, which stream the object
# or, with S3_DOWNLOAD_URL_SECONDS, redirect to it signed for that long
# (core.storage).
S3_BUCKET = env_storage("S3_BUCKET")
S3_DOWNLOAD_URL_SECONDS = env_int("S3_DOWNLOAD_URL_SECONDS", 0)
if not 0 <= S3_DOWNLOAD_URL_SECONDS <= 3600:
    raise ImproperlyConfigured(
        "S3_DOWNLOAD_URL_SECONDS must be between 0 (the web process streams downloads) "
        f"and 3600, not {S3_DOWNLOAD_URL_SECONDS}"
    )


def env_url(name: str) -> str | None:
    """An S3 endpoint setting: empty, or an http(s) URL (boto3's own error
    for "minio:9000" names neither the setting nor what it wants)."""
    value = env_str(name)
    if value and not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"{name} must be an http:// or https:// URL (http://minio:9000), not {value!r}"
        )
    return value or None


# A store that takes connections and does not answer holds a web thread or a
# task this long at most (to connect, and for each read), for S3_MAX_ATTEMPTS
# tries in all; then the upload or download is the 503 to retry, the pack
# task's retry. boto3's own: 60 s each, 3 tries (standard mode).
S3_CONNECT_TIMEOUT_SECONDS = env_int("S3_CONNECT_TIMEOUT_SECONDS", 5)
S3_READ_TIMEOUT_SECONDS = env_int("S3_READ_TIMEOUT_SECONDS", 20)
S3_MAX_ATTEMPTS = env_int("S3_MAX_ATTEMPTS", 3)
if min(S3_CONNECT_TIMEOUT_SECONDS, S3_READ_TIMEOUT_SECONDS, S3_MAX_ATTEMPTS) < 1:
    raise ImproperlyConfigured(
        "S3_CONNECT_TIMEOUT_SECONDS, S3_READ_TIMEOUT_SECONDS and S3_MAX_ATTEMPTS must be at least 1"
    )

if S3_BUCKET:
    _default_storage = {
        "BACKEND": "core.object_storage.ObjectStorage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            # Empty: AWS itself; MinIO and others: their URL.
            "endpoint_url": env_url("S3_ENDPOINT_URL"),
            # Where browsers reach the store, for the redirected downloads,
            # when not at endpoint_url (MinIO inside a compose network).
            "public_endpoint_url": env_url("S3_PUBLIC_ENDPOINT_URL"),
            "region_name": env_str("S3_REGION") or None,
            # Empty keys: boto3's own chain (instance role, AWS_* variables).
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_storage("S3_PREFIX"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 300,
            "connect_timeout": S3_CONNECT_TIMEOUT_SECONDS,
            "read_timeout": S3_READ_TIMEOUT_SECONDS,
            "max_attempts": S3_MAX_ATTEMPTS,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            # gzip and Brotli copies take minutes to build and gain nothing on
            # loopback: the embedded default collects without them.
            if env_bool("STATICFILES_COMPRESS", True)
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}

# Uploads: the size limit is checked by the upload service; the web server in
# front should enforce the same limit (see README).
ARTIFACT_MAX_BYTES = env_int("ARTIFACT_MAX_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security: safe by default when DEBUG is off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and scrapers talk plain HTTP to the process, behind the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Cookies travel over https only. The embedded default (scripts/embedded.sh)
    # serves plain http on loopback and turns these and the redirect off.
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# E-mail (Django 6.1 mailers): console in the embedded default (DEBUG on and
# no EMAIL_HOST), SMTP otherwise.
EMAIL_HOST = env_str("EMAIL_HOST")
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
_email_options: dict = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": EMAIL_HOST or "localhost",
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
del EMAIL_HOST
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "stagegate@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no REDIS_URL, tasks run eagerly in-process.
REDIS_URL = env_str("REDIS_URL")
# The in-memory broker names a host, or kombu warns at each process's first
# task that none was given (an eager task still takes a producer).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Retry countdowns stay well below the visibility timeout, or Redis would
# redeliver a task that is only waiting for its retry.
# The broker's and the cache's Redis connections: one that takes the
# connection and never answers (a half-open connection after a partition)
# fails a read after socket_timeout, where a publish after a commit, or a
# request reading the cache, waited for ever; above the workers' 1 s BRPOP.
REDIS_SOCKET_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **REDIS_SOCKET_OPTIONS}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
CELERY_TIMEZONE = TIME_ZONE
# A worker keeps its database connection between tasks as a web process does
# between requests (DATABASE_CONN_MAX_AGE, checked before each task in
# config/celery.py); Celery's own default opens a new one for every task.
CELERY_DB_REUSE_MAX = 1_000_000

# The cache's Redis, with CACHE_IN_REDIS=1: REDIS_URL's unless given.
# Another database of the same server (redis://redis:6379/1, as
# docker-compose.yml has it) keeps a cache.clear() (FLUSHDB) from emptying
# the broker's queue; another server lets the cache evict what it keeps
# (maxmemory-policy allkeys-lru) where the broker must keep everything.
CACHE_REDIS_URL = env_str("CACHE_REDIS_URL") or REDIS_URL
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "OPTIONS": REDIS_SOCKET_OPTIONS,
        }
        if CACHE_REDIS_URL and env_bool("CACHE_IN_REDIS", False)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # knox's, answering 401 to a token it does not accept (usecases/authentication.py).
        "usecases.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.DocumentedErrorsSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # JSON bounded in size and depth before it is parsed (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StageGate API",
    "DESCRIPTION": "Stage-gate governance for enterprise AI use cases.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:...> in every URL (core/converters.py): a positive 64-bit integer.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "usecases.models.Stage",
        "GateDecisionEnum": "gates.models.Decision",
        "ApprovalDecisionEnum": "gates.models.ApprovalDecision",
        "UseCaseStatusEnum": "usecases.models.Status",
        "ReviewStatusEnum": "gates.models.ReviewStatus",
        "AssessmentStatusEnum": "gates.models.AssessmentStatus",
        "ConditionStatusEnum": "gates.models.ConditionStatus",
        "ChecklistStatusEnum": "readiness.models.ChecklistStatus",
        "PackStatusEnum": "reporting.models.PackStatus",
        "RiskTierEnum": "usecases.models.RiskTier",
        "CustomFieldKindEnum": "usecases.models.CustomFieldKind",
        "RegulatoryConstraintEnum": "usecases.models.RegulatoryConstraint",
        "ControlFrameworkEnum": "gates.models.ControlFramework",
        "ReviewTriggerEnum": "gates.models.ReviewTrigger",
        "DecommissioningStatusEnum": "gates.models.DecommissioningStatus",
        "ExitKindEnum": "gates.models.ExitKind",
        "RiskClassificationStatusEnum": "usecases.models.RiskClassificationStatus",
        "RiskQuestionKindEnum": "usecases.risk.QUESTION_KINDS",
        # Named once more: the questionnaire's `kind` would otherwise rename it.
        "KindEnum": "notifications.models.Kind",
        "CostCategoryEnum": "value.models.CostCategory",
        "IncidentSeverityEnum": "operations.models.IncidentSeverity",
        "OrgRoleEnum": "usecases.models.OrgRole",
    },
}

# Logs: one line per record on standard error, as text (LOG_FORMAT=text) or
# as JSON objects (LOG_FORMAT=json); each carries the request id, which
# django-guid takes from X-Request-ID (or makes), returns in the response and
# hands to the Celery tasks the request queues.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True, log_parent=True)],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        "task": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
        "failure_in_line": {"()": "config.logs.FailureInLine"},
    },
    "formatters": LOG_FORMATTERS,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "task"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # django-axes logs every sign-in at INFO; lockouts are WARNING (and audited).
        "axes": {"level": "WARNING"},
        # A check that fails: /readyz's answer names it and the kind of its
        # failure only; the log says what failed, with the host and port, in
        # a line (no traceback at every probe).
        "health_check": {"level": "WARNING", "filters": ["failure_in_line"]},
        "django_guid": {"level": "WARNING"},
    },
}

# Operations: /readyz waits this many seconds for the Celery workers' answer;
# /metrics needs this bearer token (without one, it answers loopback only);
# the pack duration summaries cover the packs finished in the last minutes.
READYZ_WORKER_TIMEOUT = env_int("READYZ_WORKER_TIMEOUT", 2)
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_PACK_WINDOW_MINUTES = env_int("METRICS_PACK_WINDOW_MINUTES", 60)
if READYZ_WORKER_TIMEOUT < 1 or METRICS_PACK_WINDOW_MINUTES < 1:
    raise ImproperlyConfigured(
        "READYZ_WORKER_TIMEOUT and METRICS_PACK_WINDOW_MINUTES must be at least 1"
    )

# Portfolio page size.
PORTFOLIO_PAGE_SIZE = env_int("PORTFOLIO_PAGE_SIZE", 25)

# Readiness: prioritization weights (they need not sum to 1; the score is the
# weighted mean on the 1-5 scale; a dimension left out weighs nothing, and
# weights that are negative or sum to 0 count as equal weights), stalled
# detection, and the Gate 3 checklist.
PRIORITIZATION_WEIGHTS = {
    "business_impact": 0.25,
    "data_readiness": 0.25,
    "technical_feasibility": 0.25,
    "organisational_readiness": 0.25,
}
STALLED_AFTER_DAYS = env_int("STALLED_AFTER_DAYS", 21)
READINESS_GATE3_CHECKLIST_REQUIRED = env_bool("READINESS_GATE3_CHECKLIST_REQUIRED", True)
# Days before evidence expires that it shows as expiring and its owners are told.
EVIDENCE_EXPIRY_NOTICE_DAYS = env_int("EVIDENCE_EXPIRY_NOTICE_DAYS", 30)
# Operating at Scale: months between recertifications by risk tier, and the
# days before one is due that its review opens and its owner is reminded.
RECERTIFICATION_MONTHS_HIGH = env_int("RECERTIFICATION_MONTHS_HIGH", 6)
RECERTIFICATION_MONTHS_MEDIUM = env_int("RECERTIFICATION_MONTHS_MEDIUM", 12)
RECERTIFICATION_MONTHS_LOW = env_int("RECERTIFICATION_MONTHS_LOW", 24)
RECERTIFICATION_NOTICE_DAYS = env_int("RECERTIFICATION_NOTICE_DAYS", 30)

# Value (meaning: value/README.md): the installation's one currency (ISO 4217)
# and the yearly rate NPV discounts at.
VALUE_CURRENCY = env_str("VALUE_CURRENCY", "EUR")
VALUE_DISCOUNT_RATE = env_str("VALUE_DISCOUNT_RATE", "0.08")
# Seconds the dashboard's portfolio value is kept (0: read at every request).
VALUE_DASHBOARD_CACHE_SECONDS = env_int("VALUE_DASHBOARD_CACHE_SECONDS", 300)
# Seconds one rendering of the dashboard is shared by those who see the whole
# portfolio, at most: any recorded change starts a new one at once, the clock
# (overdue, stalled, due dates) after this (0: rendered at every request).
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)
# Seconds the review page keeps the content hash it marks stale packs with,
# at most: any recorded change of the use case reads the pack data again at
# once (0: read at every view).
PACK_STALENESS_CACHE_SECONDS = env_int("PACK_STALENESS_CACHE_SECONDS", 60)

# Notifications (meaning: notifications/README.md and the README's Configuration)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
NOTIFICATIONS_REMINDER_AFTER_DAYS = env_int("NOTIFICATIONS_REMINDER_AFTER_DAYS", 2)
NOTIFICATIONS_REMINDER_EVERY_DAYS = env_int("NOTIFICATIONS_REMINDER_EVERY_DAYS", 2)
NOTIFICATIONS_ESCALATE_AFTER_DAYS = env_int("NOTIFICATIONS_ESCALATE_AFTER_DAYS", 5)
NOTIFICATIONS_CONDITION_DUE_SOON_DAYS = env_int("NOTIFICATIONS_CONDITION_DUE_SOON_DAYS", 7)
NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS = env_int(
    "NOTIFICATIONS_CONDITION_OVERDUE_EVERY_DAYS", 7
)
NOTIFICATIONS_DIGEST_HOUR = env_int("NOTIFICATIONS_DIGEST_HOUR", 7)
if not 0 <= NOTIFICATIONS_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(
        f"NOTIFICATIONS_DIGEST_HOUR must be an hour from 0 to 23, not {NOTIFICATIONS_DIGEST_HOUR}"
    )
NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 8)
NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS", 60)
NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS = env_int("NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS", 3600)
NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES = env_int(
    "NOTIFICATIONS_EMAIL_SENDING_TIMEOUT_MINUTES", 15
)
# The sweep's set-based statements run this many at a time, each on a
# database connection of its own (1: one after the other).
NOTIFICATIONS_SWEEP_CONNECTIONS = env_int("NOTIFICATIONS_SWEEP_CONNECTIONS", 2)
if NOTIFICATIONS_SWEEP_CONNECTIONS < 1:
    raise ImproperlyConfigured(
        f"NOTIFICATIONS_SWEEP_CONNECTIONS must be 1 or more, not {NOTIFICATIONS_SWEEP_CONNECTIONS}"
    )
NOTIFICATIONS_BATCH_SIZE = env_int("NOTIFICATIONS_BATCH_SIZE", 1000)
NOTIFICATIONS_INBOX_PAGE_SIZE = env_int("NOTIFICATIONS_INBOX_PAGE_SIZE", 25)

# Reporting: the periodic requeue hands a pack over again when it stayed
# queued this long (the broker was down), frees one left running this long by
# a dead worker, and marks failed a pack past this many attempts.
REPORTING_REQUEUE_AFTER_MINUTES = env_int("REPORTING_REQUEUE_AFTER_MINUTES", 10)
REPORTING_RUNNING_TIMEOUT_MINUTES = env_int("REPORTING_RUNNING_TIMEOUT_MINUTES", 30)
REPORTING_PACK_MAX_ATTEMPTS = env_int("REPORTING_PACK_MAX_ATTEMPTS", 5)

# A worker generating a pack marks it alive this often; a pack silent for four
# heartbeats lost its worker and is generated again (reporting/services.py).
REPORTING_HEARTBEAT_SECONDS = env_int("REPORTING_HEARTBEAT_SECONDS", 30)
if REPORTING_HEARTBEAT_SECONDS < 1:
    raise ImproperlyConfigured("REPORTING_HEARTBEAT_SECONDS must be at least 1")

# Outbound webhooks (integrations/README.md): a delivery is retried with
# exponential backoff (base, doubling, at most the maximum) until it has been
# tried WEBHOOKS_MAX_ATTEMPTS times; each request waits WEBHOOKS_TIMEOUT_SECONDS
# at most. Beat sends what is due every WEBHOOKS_DELIVER_SECONDS.
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 6)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 30)
WEBHOOKS_RETRY_MAX_SECONDS = env_int("WEBHOOKS_RETRY_MAX_SECONDS", 3600)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 5)
WEBHOOKS_DELIVER_SECONDS = env_int("WEBHOOKS_DELIVER_SECONDS", 30)

# The periodic tasks. Run exactly one beat. Every task here is idempotent
# anyway (unique delivery keys, claimed e-mail rows, the pack claim), so a
# duplicated beat costs a little work and sends or generates nothing twice.
DASHBOARD_TALLY_COMPACT_SECONDS = env_int("DASHBOARD_TALLY_COMPACT_SECONDS", 600)
NOTIFICATIONS_SWEEP_MINUTES = env_int("NOTIFICATIONS_SWEEP_MINUTES", 15)
# The sweep runs at the minutes of the hour it divides (crontab */N): 7 would
# run at :56 and again four minutes later, at :00.
if NOTIFICATIONS_SWEEP_MINUTES < 1 or 60 % NOTIFICATIONS_SWEEP_MINUTES:
    raise ImproperlyConfigured(
        "NOTIFICATIONS_SWEEP_MINUTES must divide an hour: "
        "1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60"
    )
NOTIFICATIONS_DELIVER_SECONDS = env_int("NOTIFICATIONS_DELIVER_SECONDS", 60)
# Beat's scheduler: the default one, which also touches
# "<schedule file>.heartbeat" at every tick, for the container's health check.
CELERY_BEAT_SCHEDULER = "config.celery:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # The audit chain's head, written outside the database (core/audit.py).
    # Events a crashed process committed but never handed over (core/events.py).
    "core-deliver-outbox": {
        "task": "core.deliver_outbox",
        "schedule": 60.0,
    },
    "core-audit-checkpoint": {
        "task": "core.audit_checkpoint",
        "schedule": float(AUDIT_CHECKPOINT_SECONDS),
    },
    "reporting-requeue-stale-packs": {
        "task": "reporting.requeue_stale_packs",
        "schedule": 300.0,
    },
    # The dashboard tally's changes, folded into one row per key.
    "reporting-compact-tally": {
        "task": "reporting.compact_tally",
        "schedule": float(DASHBOARD_TALLY_COMPACT_SECONDS),
    },
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": crontab(minute=f"*/{NOTIFICATIONS_SWEEP_MINUTES}"),
    },
    "integrations-send-due-webhooks": {
        "task": "integrations.send_due_webhooks",
        "schedule": float(WEBHOOKS_DELIVER_SECONDS),
    },
    "notifications-deliver-pending-emails": {
        "task": "notifications.deliver_pending_emails",
        "schedule": float(NOTIFICATIONS_DELIVER_SECONDS),
    },
    # Hourly: each person's digest goes out once a day, at the first run
    # after NOTIFICATIONS_DIGEST_HOUR; later runs retry failed digests.
    "notifications-daily-digests": {
        "task": "notifications.send_daily_digests",
        "schedule": crontab(minute=0),
    },
    # Daily, early morning: open the recertifications coming due within
    # RECERTIFICATION_NOTICE_DAYS (operations/services.py); reruns open nothing.
    "operations-recertification-schedule": {
        "task": "operations.recertification_schedule",
        "schedule": crontab(minute=30, hour=5),
    },
}

# Bounded work per request (README "Limits"). Rates per person, counted in
# Django's cache (set CACHE_IN_REDIS=1 when several processes serve the site,
# so they share one count): gate pack requests, and KPI CSV imports.
THROTTLE_PACK_REQUESTS = env_str("THROTTLE_PACK_REQUESTS", "30/hour")
THROTTLE_IMPORTS = env_str("THROTTLE_IMPORTS", "60/hour")
for _name, _rate in (
    ("THROTTLE_PACK_REQUESTS", THROTTLE_PACK_REQUESTS),
    ("THROTTLE_IMPORTS", THROTTLE_IMPORTS),
):
    # As DRF reads a rate (the period's first letter), checked here: a rate it
    # cannot read would fail the first throttled request instead.
    _count, _, _period = _rate.partition("/")
    if not (_count.isdigit() and _period[:1] in {"s", "m", "h", "d"}):
        raise ImproperlyConfigured(
            f"{_name} must be a rate such as 30/hour (N/second, N/minute, N/hour "
            f"or N/day), not {_rate!r}"
        )
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "pack_requests": THROTTLE_PACK_REQUESTS,
    "imports": THROTTLE_IMPORTS,
}
# Rows one KPI CSV import may carry, and measurements one KPI may hold.
KPI_IMPORT_MAX_ROWS = env_int("KPI_IMPORT_MAX_ROWS", 5000)
KPI_MAX_MEASUREMENTS = env_int("KPI_MAX_MEASUREMENTS", 10000)
# Bulk import of use cases (CSV or XLSX): rows and bytes one file may carry;
# a larger file is refused whole.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1000)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024 * 1024)
# Every multipart body passes gates.uploads.UploadLimitHandler first: a file
# past its view's limit (ARTIFACT_MAX_BYTES unless the view says less) is
# dropped while it streams, before more of it reaches a temporary file, and a
# body whose Content-Length is past the limit is stopped before its files
# are read.
FILE_UPLOAD_HANDLERS = [
    "gates.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
