"""Browser login: the OAuth 2.0 authorization code flow with PKCE (RFC 7636) and OpenID
Connect, against the external provider (`OIDC_ISSUER`) or, without one, the built-in provider.

These are plain functions; `identity.views` is the HTTP glue around them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_backends import get_oauthlib_core

from identity.authentication import BUILT_IN_ISSUER
from identity.keys import ProviderUnavailable, provider_keys
from identity.scopes import API_SCOPES, AccessGrant, scopes_from_claims
from identity.services import user_for_subject
from identity.tokens import InvalidToken, validate_access_token, validate_id_token

logger = logging.getLogger(__name__)

# The built-in provider's browser client: public (PKCE, no secret), made by ensure_dev_client.
BUILT_IN_BROWSER_CLIENT_ID = "patient-orders-browser"


class LoginFailed(Exception):
    """The provider said no, or its answer did not check out. The message is for logs."""


@dataclass(frozen=True)
class PendingLogin:
    """What we keep in the session between sending the browser off and its return."""

    state: str
    nonce: str
    code_verifier: str
    next_url: str

    def as_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "next_url": self.next_url,
        }


def start_login(*, next_url: str) -> PendingLogin:
    return PendingLogin(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        next_url=next_url,
    )


def _code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(*, pending: PendingLogin, redirect_uri: str, built_in_endpoint: str) -> str:
    """Where to send the browser. `built_in_endpoint` is our own /o/authorize/ address, used
    when no external provider is configured."""
    params = {
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "state": pending.state,
        "code_challenge": _code_challenge(pending.code_verifier),
        "code_challenge_method": "S256",
    }
    if not settings.OIDC_ISSUER:
        params |= {"client_id": BUILT_IN_BROWSER_CLIENT_ID, "scope": " ".join(sorted(API_SCOPES))}
        return f"{built_in_endpoint}?{urlencode(params)}"
    if not settings.OIDC_RP_CLIENT_ID:
        raise LoginFailed("OIDC_RP_CLIENT_ID is not set")
    params |= {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "scope": settings.OIDC_RP_SCOPES,
        "nonce": pending.nonce,
        # Auth0 issues a JWT for our API only when asked for its audience.
        "audience": settings.OIDC_AUDIENCE,
    }
    if "://" in settings.OIDC_AUDIENCE:
        # RFC 8707 providers (oidc-provider, ...) read `resource`, which must be an absolute URI.
        params["resource"] = settings.OIDC_AUDIENCE
    try:
        endpoint = provider_keys().metadata()["authorization_endpoint"]
    except (ProviderUnavailable, KeyError) as exc:
        raise LoginFailed("no authorization endpoint") from exc
    return f"{endpoint}?{urlencode(params)}"


def finish_login(
    *, pending: PendingLogin, code: str, state: str, redirect_uri: str
) -> tuple[User, AccessGrant]:
    """Check the browser's return, redeem the code, and find or create the local user."""
    if not secrets.compare_digest(state, pending.state):
        raise LoginFailed("state mismatch")
    if not code:
        raise LoginFailed("no code")
    if not settings.OIDC_ISSUER:
        return _finish_built_in(pending=pending, code=code, redirect_uri=redirect_uri)
    return _finish_external(pending=pending, code=code, redirect_uri=redirect_uri)


def _finish_external(
    *, pending: PendingLogin, code: str, redirect_uri: str
) -> tuple[User, AccessGrant]:
    try:
        token_endpoint = provider_keys().metadata()["token_endpoint"]
        response = httpx.post(
            token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth=(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET),
            timeout=settings.OIDC_HTTP_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        tokens = response.json()
    except (ProviderUnavailable, KeyError, httpx.HTTPError, ValueError) as exc:
        raise LoginFailed(f"token exchange failed: {type(exc).__name__}") from exc
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise LoginFailed("no id token")
    try:
        id_claims = validate_id_token(
            tokens["id_token"], client_id=settings.OIDC_RP_CLIENT_ID, nonce=pending.nonce
        )
    except InvalidToken as exc:
        raise LoginFailed(f"id token rejected: {exc}") from exc
    except ProviderUnavailable as exc:
        raise LoginFailed("provider keys unavailable") from exc
    subject = id_claims["sub"]
    user = user_for_subject(
        issuer=settings.OIDC_ISSUER, subject=subject, email=str(id_claims.get("email", ""))
    )
    return user, AccessGrant(settings.OIDC_ISSUER, subject, _granted_scopes(tokens, subject))


def _granted_scopes(tokens: dict[str, Any], subject: str) -> frozenset[str]:
    """The API scopes this login was granted: the access token's own claims when it is a JWT
    for our API (Auth0 puts RBAC permissions only there), else the token response's `scope`."""
    access_token = tokens.get("access_token")
    if isinstance(access_token, str):
        try:
            claims = validate_access_token(access_token)
        except (InvalidToken, ProviderUnavailable):
            pass
        else:
            if claims["sub"] == subject:
                return scopes_from_claims(claims)
    return scopes_from_claims({"scope": tokens.get("scope", "")})


def _finish_built_in(
    *, pending: PendingLogin, code: str, redirect_uri: str
) -> tuple[User, AccessGrant]:
    """Redeem the code with our own provider in-process: a self-call over HTTP would tie up a
    second worker and deadlock a single-worker server."""
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": BUILT_IN_BROWSER_CLIENT_ID,
            "code_verifier": pending.code_verifier,
        }
    )
    _, response_body, status = get_oauthlib_core().server.create_token_response(
        redirect_uri, "POST", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 200:
        raise LoginFailed(f"built-in token exchange failed: {status}")
    tokens = json.loads(response_body)
    access_token = (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=hashlib.sha256(tokens["access_token"].encode()).hexdigest())
        .first()
    )
    if access_token is None or access_token.user is None:
        raise LoginFailed("built-in token not found")
    user = access_token.user
    scopes = frozenset(access_token.scope.split()) & API_SCOPES
    return user, AccessGrant(BUILT_IN_ISSUER, str(user.pk), scopes)
