"""Settings for Patient Order Service.

Every setting that varies between machines is read from the environment here, once, with a
default that is safe for development. A `.env` file in the project folder is honoured; real
environment variables win over it. Secrets may also come from a file named by `NAME_FILE`
(how Docker and Kubernetes hand them over). Every variable is documented in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Lets the generic classes (ModelAdmin[Customer], QuerySet[Order]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
environ.FileAwareEnv.read_env(BASE_DIR / ".env")

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
    "customers",
    "orders",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
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
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Phone numbers typed without a country code are read as numbers of this region.
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="KE")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Nothing under /api/ is ever public by accident.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Patient Order Service",
    "DESCRIPTION": "Patients (customers), their medication orders, and SMS notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- SMS ---
# Order confirmations by SMS through Africa's Talking; see README, "SMS notifications".
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
if SMS_BACKEND == "africastalking" and not AFRICASTALKING_API_KEY:
    raise ImproperlyConfigured(
        "SMS_BACKEND is africastalking but AFRICASTALKING_API_KEY (or _FILE) is not set."
    )
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=8)
SMS_BACKOFF_BASE_SECONDS = env.float("SMS_BACKOFF_BASE_SECONDS", default=30.0)
SMS_BACKOFF_MAX_SECONDS = env.float("SMS_BACKOFF_MAX_SECONDS", default=3600.0)
SMS_TIMEOUT = env.float("SMS_TIMEOUT", default=10.0)
SMS_LEASE_SECONDS = env.float("SMS_LEASE_SECONDS", default=120.0)
SMS_WORKER_CONCURRENCY = env.int("SMS_WORKER_CONCURRENCY", default=32)
SMS_POLL_SECONDS = env.float("SMS_POLL_SECONDS", default=2.0)
SMS_TEMPLATE = env.str(
    "SMS_TEMPLATE",
    default="Hi {customer_name}, your order #{order_reference} for {item} (KES {amount}) "
    "has been received. Thank you.",
)
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
}
# The delivery-report secret travels in the query string: redact it from the access log
# (runserver's `django.server` logger) and from request warnings (`django.request`).
LOGGING["filters"] = {"redact_token": {"()": "notifications.log_filters.RedactTokenFilter"}}
LOGGING["loggers"] = {
    name: {"handlers": ["console"], "filters": ["redact_token"], "propagate": False}
    for name in ("django.server", "django.request")
}
