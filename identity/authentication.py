"""DRF authentication: bearer access tokens (RFC 6750) and browser sessions.

With `OIDC_ISSUER` set, a bearer token is a JWT from that provider, checked in
`identity.tokens`. Without it, the service is its own provider (django-oauth-toolkit under
`/o/`) and a bearer token is one that provider issued, looked up in its tables (so revoking it
takes effect at once). Both end as the same `AccessGrant` in `request.auth`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models.signals import post_save
from oauth2_provider.oauth2_backends import get_oauthlib_core
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from identity.keys import ProviderUnavailable
from identity.scopes import AccessGrant, known_scopes, scopes_from_claims
from identity.services import user_for_subject
from identity.tokens import InvalidToken, validate_access_token
from monitoring.metrics import TOKEN_REJECTIONS

logger = logging.getLogger(__name__)

# The issuer recorded for callers of the built-in provider (django-oauth-toolkit).
BUILT_IN_ISSUER = "built-in"
SESSION_GRANT_KEY = "identity_grant"


class InvalidBearerToken(exceptions.AuthenticationFailed):
    default_detail = "Invalid access token."
    default_code = "invalid_token"


class ProviderUnreachable(exceptions.APIException):
    status_code = 503
    default_detail = "The identity provider cannot be reached; try again shortly."
    default_code = "provider_unavailable"


class _Recent:
    """A per-process memory of a few thousand values, each for at most
    `OIDC_RECENT_SECONDS` (settings): what a bearer token's request would otherwise look up
    every time. Thread-safe; when full it starts again empty rather than tracking age."""

    limit = 4096

    def __init__(self) -> None:
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.time():
            with self._lock:
                self._entries.pop(key, None)
            return None
        return entry[1]

    def put(self, key: Any, value: Any, *, until: float | None = None) -> None:
        seconds = settings.OIDC_RECENT_SECONDS
        if seconds <= 0:
            return
        expires = time.time() + seconds
        with self._lock:
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = (expires if until is None else min(expires, until), value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# (issuer, audience, token) -> claims; (issuer, subject) -> user, and ("session", id) -> a
# signed-in browser's user (identity.backends).
_recent_tokens = _Recent()
_recent_users = _Recent()


def forget_recent() -> None:
    """Forget every remembered token and user (tests; a user saved in this process)."""
    _recent_tokens.clear()
    _recent_users.clear()


def _forget_users(sender: Any, **kwargs: Any) -> None:
    # A user saved here (deactivated in the admin, made staff) counts at once in this process;
    # other processes see it when their memory of that user expires.
    _recent_users.clear()


post_save.connect(_forget_users, sender=User, dispatch_uid="identity.authentication.forget")


def _recent_claims(token: str) -> dict[str, Any]:
    """`validate_access_token`, remembered for `OIDC_RECENT_SECONDS`, never past the token's
    own expiry nor longer than the key set is kept (a key withdrawn by the provider still
    refuses its tokens within the key set's lifespan, give or take these seconds)."""
    key = (settings.OIDC_ISSUER, settings.OIDC_AUDIENCE, token)
    claims: dict[str, Any] | None = _recent_tokens.get(key)
    if claims is None:
        claims = validate_access_token(token)
        expiry = claims.get("exp")
        until = float(expiry) if isinstance(expiry, int | float) else time.time()
        until = min(until, time.time() + settings.OIDC_JWKS_LIFESPAN_SECONDS)
        _recent_tokens.put(key, claims, until=until)
    return claims


def remembered_user(
    key: tuple[str, str], load: Callable[[], AbstractBaseUser | None]
) -> AbstractBaseUser | None:
    """The user `load` finds, remembered under `key` for `OIDC_RECENT_SECONDS` (a user it
    does not find is not remembered)."""
    user: AbstractBaseUser | None = _recent_users.get(key)
    if user is None:
        user = load()
        if user is not None:
            _recent_users.put(key, user)
    return user


def _recent_user(*, issuer: str, subject: str) -> AbstractBaseUser:
    user = remembered_user(
        (issuer, subject), lambda: user_for_subject(issuer=issuer, subject=subject)
    )
    assert user is not None  # user_for_subject makes one when there is none
    return user


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; "" when the header has none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _rejected(reason: str) -> InvalidBearerToken:
    """Count a refused token by its reason (`ExpiredSignatureError` -> `expired_signature`);
    the reasons are our own words and PyJWT's class names, never anything from the token."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", reason).lower()
    label = re.sub(r"[^a-z0-9]+", "_", words).strip("_").removesuffix("_error")[:40]
    TOKEN_REJECTIONS.labels(label or "unknown").inc()
    return InvalidBearerToken()


def _active(user: AbstractBaseUser) -> AbstractBaseUser:
    """Deactivating a user in the admin locks out that subject, whatever its tokens say."""
    if not user.is_active:
        logger.info("bearer_token_rejected reason=inactive_user user_id=%s", user.pk)
        raise _rejected("inactive_user")
    return user


class BearerTokenAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, AccessGrant] | None:
        token = bearer_token(request)
        if token is None:
            return None
        # Remembered so the 401 challenge can say `invalid_token` (RFC 6750 3.1).
        request._request.identity_token_rejected = True  # type: ignore[attr-defined]
        if not token:
            raise _rejected("empty")
        if settings.OIDC_ISSUER:
            user, grant = self._authenticate_jwt(token)
        else:
            user, grant = self._authenticate_built_in(request)
        _remember_subject(request, grant)
        return user, grant

    def _authenticate_jwt(self, token: str) -> tuple[AbstractBaseUser, AccessGrant]:
        try:
            claims = _recent_claims(token)
        except InvalidToken as exc:
            logger.info("bearer_token_rejected reason=%s", exc)
            raise _rejected(str(exc)) from exc
        except ProviderUnavailable as exc:
            TOKEN_REJECTIONS.labels("provider_unavailable").inc()
            raise ProviderUnreachable from exc
        issuer, subject = settings.OIDC_ISSUER, claims["sub"]
        user = _active(_recent_user(issuer=issuer, subject=subject))
        return user, AccessGrant(issuer, subject, scopes_from_claims(claims))

    def _authenticate_built_in(self, request: Request) -> tuple[AbstractBaseUser, AccessGrant]:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if not valid:
            logger.info("bearer_token_rejected reason=built_in")
            # Unknown, expired or revoked: the built-in provider does not say which.
            raise _rejected("built_in_invalid")
        access_token = oauth_request.access_token
        scopes = known_scopes(access_token.scope.split())
        if access_token.user is not None:
            user = _active(access_token.user)
            return user, AccessGrant(BUILT_IN_ISSUER, str(user.pk), scopes)
        # Client credentials: the caller is the application itself.
        subject = access_token.application.client_id
        user = _active(user_for_subject(issuer=BUILT_IN_ISSUER, subject=subject))
        return user, AccessGrant(BUILT_IN_ISSUER, subject, scopes)

    def authenticate_header(self, request: Request) -> str:
        challenge = f'Bearer realm="{self.www_authenticate_realm}"'
        if getattr(request._request, "identity_token_rejected", False):
            challenge += ', error="invalid_token"'
        return challenge


class SessionGrantAuthentication(SessionAuthentication):
    """Django's session login (the browsable API, the admin), carrying the scopes granted at
    login, so sessions go through the same scope checks as bearer tokens."""

    def authenticate(self, request: Request) -> tuple[Any, AccessGrant | None] | None:
        result = super().authenticate(request)
        if result is None or isinstance(result[0], AnonymousUser):
            return None
        user = result[0]
        grant = session_grant(request.session)
        _remember_subject(request, grant)
        return user, grant


def session_grant(session: Any) -> AccessGrant:
    """The grant a browser login stored in its session (no scopes if it stored none): what
    the browsable API and the front desk (desk app) both check."""
    stored = session.get(SESSION_GRANT_KEY) or {}
    return AccessGrant(
        issuer=str(stored.get("issuer", "")),
        subject=str(stored.get("subject", "")),
        scopes=known_scopes(stored.get("scopes", [])),
    )


def _remember_subject(request: Request, grant: AccessGrant) -> None:
    # For the request log (config.middleware.RequestLogMiddleware), which names callers by
    # subject, never by name or email.
    request._request.auth_subject = grant.subject  # type: ignore[attr-defined]


def remember_session_grant(request: Any, grant: AccessGrant) -> None:
    """Store the scopes a browser login was granted in its (server-side) session."""
    request.session[SESSION_GRANT_KEY] = {
        "issuer": grant.issuer,
        "subject": grant.subject,
        "scopes": sorted(grant.scopes),
    }
