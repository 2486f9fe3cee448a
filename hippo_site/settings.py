"""Django settings for Hippo, read from the environment (see `.env.example`)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from dotenv import load_dotenv

from hippo_site.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    proxy_ssl_header,
    require_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)

DEBUG = env_bool("DJANGO_DEBUG", default=False)
# Without DJANGO_DEBUG=true the key must come from the environment: a key generated per process
# differs between workers (and machines), so sessions and CSRF tokens would fail at random. Only a
# debug (development) process may fall back to a generated key, which is never written anywhere;
# `make run` passes a key of its own (scripts/dev-env.sh).
SECRET_KEY = require_secret_key(DEBUG) or secrets.token_urlsafe(50)
SECRET_KEY_FROM_ENV = bool(env_str("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "hippo_site.apps.HippoSiteConfig",
    # Below every app that serves an API (they import it; it imports none of them).
    "api",
    "registry",
    "inference",
    "mnist_samples",
    "training",
    "runs",
    "django_tasks_db",
    "axes",
]

# Health probes come by the instance's IP address, whatever ALLOWED_HOSTS says (api.middleware).
HIPPO_ANY_HOST_PATHS = ["/healthz", "/readyz"]

MIDDLEWARE = [
    # First: every later middleware that reads the host must see the probes' hosts as allowed.
    "api.middleware.AnyHostProbesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Log-in limits (login_guard): log-ins this process already refuses are answered 429 here,
    # before sessions, CSRF and the form; and a 429 for a log-in refused for want of a
    # password-hashing slot.
    "login_guard.middleware.LoginGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # axes' lockout answer (last, as axes requires).
    "axes.middleware.AxesMiddleware",
]

# Messages (the admin's) live in a cookie: the default fallback storage builds three storages
# on every request, API calls included, for nothing.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

ROOT_URLCONF = "hippo_site.urls"
WSGI_APPLICATION = "hippo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Runtime state (SQLite database, local model store, MNIST cache) lives under HIPPO_DATA_DIR.
DATA_DIR = Path(env_str("HIPPO_DATA_DIR") or BASE_DIR / "var").resolve()

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'hippo.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: a transaction takes the write lock when it begins and waits for it (up to 20 s).
    # Deferred transactions that read and then write fail at once with "database is locked" when
    # another process writes meanwhile (two `push_model` at once, a push during a sync).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without collectstatic (development, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ---
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # orjson in and out (api.renderers, api.parsers): DRF's classes, faster.
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    # No `?format=` override: the API speaks JSON only, and negotiation then never parses the
    # query string (~25 µs per request).
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_THROTTLE_CLASSES": (
        ["api.clients.ClientAnonRateThrottle"] if env_str("HIPPO_THROTTLE_ANON") else []
    ),
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("HIPPO_THROTTLE_ANON") or None},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hippo API",
    "DESCRIPTION": (
        "Predict handwritten digits with small NumPy networks and look inside every layer."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Offline: no validator badge fetched from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "inference.schema.forbid_unknown_fields",
        "inference.schema.state_request_constraints",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ModelStatusEnum": "inference.response_serializers.MODEL_STATUSES",
        "ReadinessStatusEnum": "inference.response_serializers.READINESS_STATUSES",
        "HealthStatusEnum": "inference.response_serializers.HEALTH_STATUSES",
        "RunStatusEnum": "runs.models.RunStatus",
        "RunSourceEnum": "runs.models.Source",
    },
}

CORS_ALLOWED_ORIGINS = env_list("ALLOWED_ORIGINS")
# Largest request body the API accepts (a batch of 1,000 x 784 numbers is ~6 MB of JSON).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HIPPO_MAX_BODY_BYTES", 8 * 1024 * 1024)

# --- Hippo ---
# MNIST: an explicit folder first, then the cache that `manage.py fetch_mnist` fills.
HIPPO_MNIST_DIR = env_str("HIPPO_MNIST_DIR")
HIPPO_MNIST_CACHE = DATA_DIR / "mnist"
HIPPO_REQUIRE_MNIST = env_bool("HIPPO_REQUIRE_MNIST", default=False)

# Model store: the Hugging Face Hub when HF_MODEL_REPO is set, else a local directory with the same
# layout. HF_TOKEN (or the seed's HUGGINGFACE_TOKEN) is read by registry.stores and never logged.
HF_MODEL_REPO = env_str("HF_MODEL_REPO")
HF_ENDPOINT = env_str("HF_ENDPOINT")
HIPPO_LOCAL_HUB = Path(env_str("HIPPO_LOCAL_HUB") or DATA_DIR / "local_hub").resolve()
DEFAULT_MODEL = env_str("DEFAULT_MODEL")
# Where hf_hub_download keeps its files; unset: huggingface_hub's own cache under HF_HOME.
HIPPO_HF_CACHE = Path(env_str("HIPPO_HF_CACHE")).resolve() if env_str("HIPPO_HF_CACHE") else None
HIPPO_MODELS_DIR = Path(env_str("HIPPO_MODELS_DIR") or BASE_DIR / "models").resolve()

# --- Training runs (runs/) ---
# A worker's run keeps its checkpoint and its model files in HIPPO_RUNS_DIR/<run id>/.
HIPPO_RUNS_DIR = Path(env_str("HIPPO_RUNS_DIR") or DATA_DIR / "runs").resolve()
# A running run's worker renews its lease every beat; a lease older than this means the worker
# is gone (`sweep_runs` then marks the run interrupted).
HIPPO_RUN_LEASE_SECONDS = env_int("HIPPO_RUN_LEASE_SECONDS", 30)
# BLAS threads of a worker's training (evaluation included): one, as `train_mnist` trains, so that
# a worker uses one core and serving keeps the others.
HIPPO_RUN_BLAS_THREADS = env_int("HIPPO_RUN_BLAS_THREADS", 1)
# Django's task framework: tasks are rows of the database, run by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

HIPPO_PREDICT_BATCH_LIMIT = env_int("HIPPO_PREDICT_BATCH_LIMIT", 1000)
HIPPO_MODEL_CACHE_SIZE = env_int("HIPPO_MODEL_CACHE_SIZE", 8)
HIPPO_MAX_IMAGE_BYTES = env_int("HIPPO_MAX_IMAGE_BYTES", 4 * 1024 * 1024)
# Large images (over 1 M pixels) are decoded in separate low-priority processes
# (inference.images): HIPPO_IMAGE_DECODERS per serving process (keep it below HIPPO_THREADS: a
# request waiting for its decoder holds a thread), at most HIPPO_IMAGE_DECODERS_PER_CLIENT in
# flight per client address; beyond either, /predict/image answers 503 `busy` at once.
HIPPO_IMAGE_DECODERS = env_int("HIPPO_IMAGE_DECODERS", 1)
HIPPO_IMAGE_DECODERS_PER_CLIENT = env_int("HIPPO_IMAGE_DECODERS_PER_CLIENT", 1)

# Database outages (inference.row_cache): for a network already loaded, the last row read of its
# model is served for at most HIPPO_DB_STALE_SECONDS after it was read while the database fails;
# then, and for every other request needing the database, 503 `database_unavailable` with
# Retry-After: HIPPO_DB_RETRY_AFTER.
HIPPO_DB_STALE_SECONDS = env_int("HIPPO_DB_STALE_SECONDS", 30)
HIPPO_DB_RETRY_AFTER = env_int("HIPPO_DB_RETRY_AFTER", 5)

# Bounds of every Hub call (registry.hub_http), in seconds, and failed attempts allowed per
# operation (a sync, a push, one background download); HIPPO_HUB_DOWNLOADS downloads run at once,
# and a failed one is retried on a request after HIPPO_HUB_RETRY_AFTER seconds.
HIPPO_HUB_CONNECT_TIMEOUT = env_int("HIPPO_HUB_CONNECT_TIMEOUT", 5)
HIPPO_HUB_TIMEOUT = env_int("HIPPO_HUB_TIMEOUT", 10)
HIPPO_HUB_DEADLINE = env_int("HIPPO_HUB_DEADLINE", 60)
HIPPO_HUB_RETRIES = env_int("HIPPO_HUB_RETRIES", 2)
HIPPO_HUB_DOWNLOADS = env_int("HIPPO_HUB_DOWNLOADS", 2)
HIPPO_HUB_RETRY_AFTER = env_int("HIPPO_HUB_RETRY_AFTER", 10)
# The admin's "Sync from the Hub" runs inside a web request: a shorter deadline than the command's.
HIPPO_HUB_ADMIN_DEADLINE = env_int("HIPPO_HUB_ADMIN_DEADLINE", 20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # The Hub may echo the token (in an error body, a header dump at DEBUG): every record is
    # redacted before it is written, whichever logger made it.
    "filters": {"redact_secrets": {"()": "registry.log_redaction.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Log-in limits (login_guard; docs/DEPLOYMENT.md) ---
# Failed log-ins per account and client address, and per client address, within
# HIPPO_LOGIN_LOCKOUT_SECONDS; reaching a limit locks that key out (429 with Retry-After) until
# the lockout lapses. Passwords are hashed on HIPPO_LOGIN_HASHERS low-priority threads per process
# (nice HIPPO_LOGIN_HASH_NICE); a log-in that finds none free within HIPPO_LOGIN_HASH_WAIT_MS is
# refused with a 429. Behind proxies, HIPPO_TRUSTED_PROXIES (addresses or networks) are the ones
# whose X-Forwarded-For names the client; unset, the client is REMOTE_ADDR.
HIPPO_LOGIN_FAILURES = env_int("HIPPO_LOGIN_FAILURES", 5)
HIPPO_LOGIN_FAILURES_PER_ADDRESS = env_int("HIPPO_LOGIN_FAILURES_PER_ADDRESS", 20)
HIPPO_LOGIN_LOCKOUT_SECONDS = env_int("HIPPO_LOGIN_LOCKOUT_SECONDS", 900)
HIPPO_LOGIN_HASHERS = env_int("HIPPO_LOGIN_HASHERS", 1)
HIPPO_LOGIN_HASH_WAIT_MS = env_int("HIPPO_LOGIN_HASH_WAIT_MS", 0)
HIPPO_LOGIN_HASH_NICE = env_int("HIPPO_LOGIN_HASH_NICE", 10)
HIPPO_TRUSTED_PROXIES = env_list("HIPPO_TRUSTED_PROXIES")
AUTHENTICATION_BACKENDS = [
    "login_guard.backends.LoginLimitsBackend",
    "login_guard.backends.ModelBackend",
]
# Django's default hasher (same algorithm name: existing hashes verify), hashing within the slots.
PASSWORD_HASHERS = ["login_guard.hashers.BoundedPBKDF2PasswordHasher"]
AXES_HANDLER = "login_guard.limits.LoginLimitsHandler"
AXES_LOCKOUT_PARAMETERS = "login_guard.limits.lockout_parameters"
AXES_FAILURE_LIMIT = HIPPO_LOGIN_FAILURES
AXES_COOLOFF_TIME = "login_guard.limits.cool_off"
AXES_LOCKOUT_CALLABLE = "login_guard.responses.lockout_response"
AXES_CLIENT_IP_CALLABLE = "login_guard.limits.client_address"
AXES_USERNAME_CALLABLE = "login_guard.limits.client_username"
AXES_RESET_ON_SUCCESS = True
# A refused log-in during a lockout is not counted: the lockout ends when Retry-After says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# --- HTTPS (docs/DEPLOYMENT.md) ---
# DJANGO_HTTPS=true: the site is reached over HTTPS only, directly or through a proxy or load
# balancer that ends TLS. Then plain-HTTP requests are redirected (except the health probes, which
# load balancers send over plain HTTP to the instance itself), cookies are HTTPS-only and browsers
# are told to use HTTPS for a year (HSTS). Each part can be set on its own; behind a TLS-ending
# proxy, DJANGO_SECURE_PROXY_SSL_HEADER names the header by which it says the client used HTTPS.
HTTPS = env_bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=HTTPS)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env_str("DJANGO_SECURE_PROXY_SSL_HEADER"))
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Content-Security-Policy (Django's own middleware, on every response) ---
# Everything comes from this origin: the demo page, Swagger UI and ReDoc are served from the
# project's static files (drf-spectacular-sidecar), never from a CDN. Inline scripts run only with
# the per-response nonce (the Swagger UI page's start-up script; Django's admin). Inline styles are
# allowed: ReDoc (styled-components) and Swagger UI insert <style> elements at run time, which a
# nonce cannot cover; styles cannot run code. ReDoc runs its search index in a blob: worker.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
