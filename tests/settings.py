"""Test settings: the real settings, plus only what makes tests fast and isolated."""

from __future__ import annotations

import os

from identity.signing_key import new_private_key_pem

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
# Tests start from the built-in OpenID Provider whatever a developer's .env says (the external
# provider's tests switch with the `settings` fixture), with a fresh signing key never on disk.
os.environ["OIDC_ISSUER"] = ""
os.environ.setdefault("OIDC_RSA_PRIVATE_KEY", new_private_key_pem())

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than shared-cache memory, so tests that write from several threads get
    # SQLite's real locking (waits) instead of immediate "table is locked" errors.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}

# Serve static files from the apps' folders, as in development, with no collectstatic step.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test client and live server speak plain HTTP; HTTPS behaviour is tested with production
# settings in a subprocess (tests/test_deploy.py).
SECURE_SSL_REDIRECT = False
OAUTH2_PROVIDER = {**OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}  # noqa: F405

SMS_BACKEND = "locmem"
