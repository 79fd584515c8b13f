"""Settings for Patient Order Service.

Every setting that varies between machines is read from the environment here, once, with a
default that is safe for development. A `.env` file in the project folder is honoured; real
environment variables win over it. Secrets may also come from a file named by `NAME_FILE`
(how Docker and Kubernetes hand them over). Every variable is documented in `.env.example`.
"""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

from identity.scopes import smart_scopes_supported

# Lets the generic classes (ModelAdmin[Customer], QuerySet[Order]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
# ENV_FILE lets tests and tools choose another file, or none (/dev/null).
environ.FileAwareEnv.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in the environment; "
            "only a development server with DEBUG=on may run without one."
        )
    SECRET_KEY = "insecure-development-only"  # noqa: S105 - never used with DEBUG off

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. Production defaults are strict; a TLS-terminating proxy (Render, an ingress) must say
# so with USE_X_FORWARDED_PROTO, or every request would be redirected forever.
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is hard to undo, so it is opt-in.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
# Database sessions, read with SQL compiled once per process (identity/sessions.py).
SESSION_ENGINE = "identity.sessions"
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Inline styles: Swagger UI sets them from script. Scripts come only from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)

# CORS is closed unless origins are listed (e.g. https://clinic-app.example.com).
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# Bodies over this size get a 413 before they are read.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "oauth2_provider",
    "identity",
    "customers",
    "orders",
    "idempotency",
    "notifications",
    "fhir",
    "monitoring",
    "desk",
]

MIDDLEWARE = [
    # Outermost, so even the answers of the middleware below carry the security headers.
    "config.middleware.SecurityHeadersMiddleware",
    # Counts and times every request, and answers /metrics (monitoring app): before the probes,
    # so they are counted too, and before host validation, as Prometheus scrapes pods by IP.
    "monitoring.middleware.MetricsMiddleware",
    # Probes next: answered before host validation and HTTPS redirects, and not logged.
    "config.middleware.HealthCheckMiddleware",
    "config.middleware.RequestLogMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    # NUL and lone surrogates are refused here, for every view, before anything reads them.
    "config.middleware.RejectUnsafeCharactersMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, answering a missing trailing slash with 308 (keeps the method), not 301.
    "config.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records who made each change in the audit trail (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# SQLite by default so a fresh clone runs with nothing installed; PostgreSQL in production.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (up to the timeout)
    # instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Persistent connections, checked before reuse, so a database restart needs no app restart.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Shared cache (throttle counters): Redis in production, so every web process counts
# together; this process's memory otherwise.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default=env.str("REDIS_URL", default="") or "locmemcache://"
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and whitenoise serves from (with DEBUG off, config/wsgi.py
# refuses to start until collectstatic has run).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in production (collectstatic at build), so browsers may cache
    # static files forever; plain files in development.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Phone numbers typed without a country code are read as numbers of this region.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="KE")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identity.authentication.BearerTokenAuthentication",
        "identity.authentication.SessionGrantAuthentication",
    ],
    # Nothing under /api/ is ever public by accident, and every caller needs the view's scope.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "identity.permissions.HasResourceScope",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    # DRF's, showing a caller that may write but not read no more than the record's id.
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.JSONRenderer",
        "config.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.ClientRateThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Generous: a clinic's busiest integration stays far below; a runaway script does not.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="1200/minute")

# How long a client's Idempotency-Key is remembered, and after how long a request that took
# one and never answered (its process died) is presumed dead.
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
IDEMPOTENCY_LOCK_SECONDS = 60

SPECTACULAR_SETTINGS = {
    # Swagger UI's files are served from this service, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "TITLE": "Patient Order Service",
    "DESCRIPTION": "Patients (customers), their medication orders, and SMS notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and Swagger UI are public: they ignore credentials, so a stale token sent by
    # habit gets the page, not a 401.
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract is JSON. Forms are still parsed, for the browsable API's HTML forms.
    "PARSER_WHITELIST": ["config.parsers.SafeJSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_error_responses",
    ],
}

# --- Identity ---
# Who may call the API (identity app; docs/identity.md). With OIDC_ISSUER set,
# bearer tokens are JWTs from that OpenID Provider and browsers log in there; without it the
# service is its own provider (django-oauth-toolkit under /o/).
# Compared with each token's `iss` character for character (Auth0's ends in "/", Keycloak's not).
OIDC_ISSUER: str = env.str("OIDC_ISSUER", default="")
# The `aud` an access token must carry to be accepted here (Auth0: the API identifier).
OIDC_AUDIENCE: str = env.str("OIDC_AUDIENCE", default="patient-orders")
# Clock skew allowed on exp/nbf/iat; never more than 60 s, whatever is configured.
OIDC_LEEWAY_SECONDS: int = min(env.int("OIDC_LEEWAY_SECONDS", default=30), 60)
# The provider's keys are kept this long, and fetched again for an unknown key id at most
# once per cooldown.
OIDC_JWKS_LIFESPAN_SECONDS: float = env.float("OIDC_JWKS_LIFESPAN_SECONDS", default=600.0)
OIDC_JWKS_REFETCH_COOLDOWN_SECONDS: float = env.float(
    "OIDC_JWKS_REFETCH_COOLDOWN_SECONDS", default=30.0
)
OIDC_HTTP_TIMEOUT_SECONDS: float = env.float("OIDC_HTTP_TIMEOUT_SECONDS", default=3.0)
# Each web process remembers a checked access token and the user of an (issuer, sub) this
# long, so a request costs no signature check and no user lookup: deactivating a user takes
# effect within this time in other processes (at once in the one that saved it). 0: off.
OIDC_RECENT_SECONDS: float = min(env.float("OIDC_RECENT_SECONDS", default=5.0), 60.0)
# Browser login (authorization code + PKCE) at the external provider.
OIDC_RP_CLIENT_ID: str = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET: str = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SCOPES: str = env.str(
    "OIDC_RP_SCOPES",
    default="openid email customers:read customers:write orders:read orders:write",
)

# The built-in provider signs ID tokens with this RSA key (PEM). Development generates one
# into var/ (git-ignored); production must set OIDC_RSA_PRIVATE_KEY or ..._FILE.
OIDC_RSA_PRIVATE_KEY: str = env.str("OIDC_RSA_PRIVATE_KEY", default="", multiline=True)
if not OIDC_ISSUER and not OIDC_RSA_PRIVATE_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "The built-in OpenID Provider needs OIDC_RSA_PRIVATE_KEY (or _FILE), or set "
            "OIDC_ISSUER to use an external provider."
        )
    from identity.signing_key import development_private_key

    OIDC_RSA_PRIVATE_KEY = development_private_key(BASE_DIR / "var" / "oidc-dev-key.pem")

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": "OpenID Connect",
        "customers:read": "Read patients",
        "customers:write": "Create, change and delete patients",
        "orders:read": "Read orders",
        "orders:write": "Place and change orders",
        # SMART on FHIR backend services: read and search FHIR resources (fhir app).
        **dict.fromkeys(smart_scopes_supported(), "Read and search FHIR resources"),
    },
    "DEFAULT_SCOPES": ["customers:read", "orders:read"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OIDC_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    # The OAuth 2.0 Security BCP (RFC 9700), which django-oauth-toolkit 4.0 will enforce: no
    # implicit or password grants, S256 PKCE only, tokens never in query strings, `iss` in
    # authorization responses, tokens stored hashed, refresh-token replay detection.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Refuses a grant type the client is not registered for before any password is checked.
    "OAUTH2_VALIDATOR_CLASS": "identity.provider.OAuth2Validator",
    # Plain-http callbacks only for a development server on this machine.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"] if DEBUG else ["https"],
}
# Where a page that needs a login sends the browser: the external provider's code flow, or
# the built-in provider's password page at /o/login/ (its authorize endpoint needs a user).
LOGIN_URL = "identity:login" if OIDC_ISSUER else "oauth2_provider:login"
# --- end Identity ---

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# json: one JSON object per line, for log collectors; console: readable key=value lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
        "console": {"()": "config.logging.ConsoleFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # RequestLogMiddleware writes one line per request; these would repeat it, and
        # runserver's would print query strings (where secrets may ride).
        "django.server": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
    },
}

# --- Sign-in lockout ---
# Password guessing at the built-in provider's /o/login/ (django-axes; docs/identity.md):
# after LOGIN_FAILURE_LIMIT failed sign-ins for one account, or from one client
# address, within LOGIN_LOCKOUT_MINUTES, every sign-in for it is refused (429) until that long
# after the last failure. Counted in the database, so every process and replica counts
# together whatever the cache, and `manage.py axes_reset_username NAME` unlocks an account.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# How many proxies in front append to X-Forwarded-For (Render: 2, Cloudflare and its own
# balancer; an ingress: 1). The client's address is the entry that far from the right.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
INSTALLED_APPS += ["axes"]
# Last, as django-axes documents: it turns a sign-in its backend refused into the lockout page.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, remembering signed-in users for OIDC_RECENT_SECONDS.
    "identity.backends.RecentModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
# Two separate counts: one per account (from any address), one per address (for any account).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not wipe the count: it would wipe the address's too, so anyone with an
# account of their own could sign in to it between guesses at another.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "identity.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "identity.lockout.locked_out"
# identity.lockout logs each failure and lockout as an event without the username; axes's
# own lines would carry it (and its table of successful sign-ins is not needed).
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True
LOGGING["loggers"]["axes"] = {"level": "ERROR"}
# --- end Sign-in lockout ---

# --- SMS ---
# Patients hear of their orders by SMS through Africa's Talking; see docs/sms.md.
AFRICASTALKING_USERNAME = env.str("AFRICASTALKING_USERNAME", default="sandbox")
AFRICASTALKING_API_KEY = env.str("AFRICASTALKING_API_KEY", default="")
AFRICASTALKING_SENDER_ID = env.str("AFRICASTALKING_SENDER_ID", default="")
AFRICASTALKING_API_URL = env.str(
    "AFRICASTALKING_API_URL",
    default="https://api.sandbox.africastalking.com"
    if AFRICASTALKING_USERNAME == "sandbox"
    else "https://api.africastalking.com",
)
# The `?token=` of the delivery-report callback URL; reports are refused (403) while unset.
AFRICASTALKING_CALLBACK_SECRET = env.str("AFRICASTALKING_CALLBACK_SECRET", default="")
# console (prints), locmem (tests), africastalking, or a dotted path to a backend class.
SMS_BACKEND = env.str(
    "SMS_BACKEND", default="africastalking" if AFRICASTALKING_API_KEY else "console"
)
# A missing AFRICASTALKING_API_KEY stops the SMS worker at start (the backend checks it):
# web pods, jobs and cron jobs share the configuration but never send, and never get the key.
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=8)
SMS_BACKOFF_BASE_SECONDS = env.float("SMS_BACKOFF_BASE_SECONDS", default=30.0)
SMS_BACKOFF_MAX_SECONDS = env.float("SMS_BACKOFF_MAX_SECONDS", default=3600.0)
SMS_TIMEOUT = env.float("SMS_TIMEOUT", default=10.0)
SMS_LEASE_SECONDS = env.float("SMS_LEASE_SECONDS", default=120.0)
SMS_WORKER_CONCURRENCY = env.int("SMS_WORKER_CONCURRENCY", default=32)
SMS_POLL_SECONDS = env.float("SMS_POLL_SECONDS", default=2.0)
# The texts of the messages (notifications/texts.py), one per kind and language, each
# overridable; checked here so that a text naming the medication never starts.
from notifications.texts import DEFAULT_TEMPLATES, check_templates  # noqa: E402

if env.str("SMS_TEMPLATE", default=""):
    # The single English template of earlier versions usually named the item; a custom text
    # must not vanish silently either.
    raise ImproperlyConfigured(
        "SMS_TEMPLATE is no longer read: set SMS_TEMPLATE_ORDER_RECEIVED_EN (and the other "
        "SMS_TEMPLATE_* settings) instead, without {item}."
    )
SMS_TEMPLATES: dict[tuple[str, str], str] = {
    ("order_received", "en"): env.str(
        "SMS_TEMPLATE_ORDER_RECEIVED_EN", default=DEFAULT_TEMPLATES["order_received", "en"]
    ),
    ("order_received", "sw"): env.str(
        "SMS_TEMPLATE_ORDER_RECEIVED_SW", default=DEFAULT_TEMPLATES["order_received", "sw"]
    ),
    ("order_ready", "en"): env.str(
        "SMS_TEMPLATE_ORDER_READY_EN", default=DEFAULT_TEMPLATES["order_ready", "en"]
    ),
    ("order_ready", "sw"): env.str(
        "SMS_TEMPLATE_ORDER_READY_SW", default=DEFAULT_TEMPLATES["order_ready", "sw"]
    ),
    ("order_cancelled", "en"): env.str(
        "SMS_TEMPLATE_ORDER_CANCELLED_EN", default=DEFAULT_TEMPLATES["order_cancelled", "en"]
    ),
    ("order_cancelled", "sw"): env.str(
        "SMS_TEMPLATE_ORDER_CANCELLED_SW", default=DEFAULT_TEMPLATES["order_cancelled", "sw"]
    ),
}
check_templates(SMS_TEMPLATES)
# The facility's name in every text; empty: "the clinic" (Swahili: "kliniki").
SMS_FACILITY_NAME = env.str("SMS_FACILITY_NAME", default="")
if SMS_LEASE_SECONDS < 3 * SMS_TIMEOUT:
    # SMS_TIMEOUT bounds each of connecting, sending and reading, so one call can take three
    # times as long; a shorter lease could let another worker send the same message again.
    raise ImproperlyConfigured("SMS_LEASE_SECONDS must be at least 3 x SMS_TIMEOUT.")
if SMS_MAX_ATTEMPTS < 1 or SMS_WORKER_CONCURRENCY < 1:
    raise ImproperlyConfigured("SMS_MAX_ATTEMPTS and SMS_WORKER_CONCURRENCY must be at least 1.")
# Orders and their SMS both have a `status`: name the two enums in the OpenAPI schema.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "OrderStatusEnum": "orders.models.OrderStatus",
    "SmsStatusEnum": "notifications.models.SmsStatus",
    "SmsKindEnum": "notifications.models.SmsKind",
    "LanguageEnum": "customers.models.Language",
}
# The delivery-report secret travels in the query string: redact it from the lines of
# runserver's access log (`django.server`) and of request errors (`django.request`).
LOGGING["filters"]["redact_token"] = {"()": "notifications.log_filters.RedactTokenFilter"}
for _name in ("django.server", "django.request"):
    LOGGING["loggers"][_name]["filters"] = ["redact_token"]

# --- Front desk ---
# The staff web app under /desk/ (desk app; docs/desk.md). While an order's SMS is queued or
# sending, its status badge asks the server again this often (seconds).
DESK_SMS_REFRESH_SECONDS = 2

# --- FHIR ---
# The read-only FHIR R4 facade under /fhir/R4/ (fhir app; docs/fhir.md).
# The facade's base URL as clients must see it (e.g. https://orders.example.com/fhir/R4), used
# in fullUrl, links, references and the order-amount extension's URL. Empty: taken from each
# request (scheme and Host, so behind a proxy set USE_X_FORWARDED_PROTO and ALLOWED_HOSTS).
FHIR_BASE_URL: str = env.str("FHIR_BASE_URL", default="").rstrip("/")
if FHIR_BASE_URL and not FHIR_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("FHIR_BASE_URL must be an absolute http(s) URL, or empty.")
# Where integrators read about the facade (docs/fhir.md as published), linked from the
# CapabilityStatement; empty: the statement names docs/fhir.md.
FHIR_DOCUMENTATION_URL: str = env.str("FHIR_DOCUMENTATION_URL", default="")
# Patient.identifier systems. Settings because the draft Kenyan guides disagree on them.
FHIR_PATIENT_IDENTIFIER_SYSTEM: str = env.str(
    "FHIR_PATIENT_IDENTIFIER_SYSTEM", default="urn:patient-orders:customer-code"
)
FHIR_INSURANCE_IDENTIFIER_SYSTEM: str = env.str(
    "FHIR_INSURANCE_IDENTIFIER_SYSTEM",
    default="https://fhir.dha.go.ke/fhir/Identifier/sha-number",
)

# --- Metrics ---
# Prometheus metrics at /metrics (monitoring app; docs/monitoring.md). Not public: served only
# with `Authorization: Bearer <METRICS_BEARER_TOKEN>` or to a connecting address in
# METRICS_ALLOWED_IPS (addresses or networks, e.g. 10.0.0.0/8); 404 to anyone else, and to
# everyone while both are empty.
METRICS_BEARER_TOKEN: str = env.str("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOWED_IPS: list[str] = env.list("METRICS_ALLOWED_IPS", default=[])
if METRICS_BEARER_TOKEN and len(METRICS_BEARER_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_BEARER_TOKEN must be at least 16 characters long.")
for _entry in METRICS_ALLOWED_IPS:
    try:
        ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_entry!r} is not an IP address or network."
        ) from None
