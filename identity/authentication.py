"""DRF authentication: bearer access tokens (RFC 6750) and browser sessions.

With `OIDC_ISSUER` set, a bearer token is a JWT from that provider, checked in
`identity.tokens`. Without it, the service is its own provider (django-oauth-toolkit under
`/o/`) and a bearer token is one that provider issued, looked up in its tables (so revoking it
takes effect at once). Both end as the same `AccessGrant` in `request.auth`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from oauth2_provider.oauth2_backends import get_oauthlib_core
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from identity.keys import ProviderUnavailable
from identity.scopes import AccessGrant, known_scopes, scopes_from_claims
from identity.services import user_for_subject
from identity.tokens import InvalidToken, validate_access_token

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


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; "" when the header has none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _active(user: AbstractBaseUser) -> AbstractBaseUser:
    """Deactivating a user in the admin locks out that subject, whatever its tokens say."""
    if not user.is_active:
        logger.info("bearer_token_rejected reason=inactive_user user_id=%s", user.pk)
        raise InvalidBearerToken
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
            raise InvalidBearerToken
        if settings.OIDC_ISSUER:
            user, grant = self._authenticate_jwt(token)
        else:
            user, grant = self._authenticate_built_in(request)
        _remember_subject(request, grant)
        return user, grant

    def _authenticate_jwt(self, token: str) -> tuple[AbstractBaseUser, AccessGrant]:
        try:
            claims = validate_access_token(token)
        except InvalidToken as exc:
            logger.info("bearer_token_rejected reason=%s", exc)
            raise InvalidBearerToken from exc
        except ProviderUnavailable as exc:
            raise ProviderUnreachable from exc
        issuer, subject = settings.OIDC_ISSUER, claims["sub"]
        user = _active(user_for_subject(issuer=issuer, subject=subject))
        return user, AccessGrant(issuer, subject, scopes_from_claims(claims))

    def _authenticate_built_in(self, request: Request) -> tuple[AbstractBaseUser, AccessGrant]:
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if not valid:
            logger.info("bearer_token_rejected reason=built_in")
            raise InvalidBearerToken
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
