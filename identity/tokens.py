"""Validating JWTs from the external OpenID Provider: access tokens (RFC 9068) and ID tokens.

Every check that fails raises `InvalidToken` with a reason for our logs only; callers answer
401 `invalid_token` and tell the client nothing more, so a forger learns nothing from us.
"""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings

from identity.keys import provider_keys

# Asymmetric algorithms only: `none` and the HS* family are never accepted, so a token "signed"
# with our public key as an HMAC secret cannot pass.
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS = frozenset({"ES256", "ES384", "ES512"})
ALLOWED_ALGORITHMS = RSA_ALGORITHMS | EC_ALGORITHMS

# RFC 9068 names access tokens `at+jwt`; many providers (Auth0, Keycloak) still write `JWT`.
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt"})

MAX_LEEWAY_SECONDS = 60


class InvalidToken(Exception):
    """Not a token we accept. The message is for logs, never for the client."""


def _verified_claims(token: str, *, audience: str, allowed_types: frozenset[str] | None) -> Any:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("malformed") from exc
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise InvalidToken("algorithm not allowed")
    typ = header.get("typ")
    if allowed_types is not None and typ is not None and str(typ).lower() not in allowed_types:
        raise InvalidToken("wrong token type")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken("malformed key id")

    jwk = provider_keys().signing_key(kid)
    if jwk is None:
        raise InvalidToken("unknown key")
    key = jwk.key
    # The key's type must fit the algorithm, whatever the token's header claims.
    rsa_pair = alg in RSA_ALGORITHMS and isinstance(key, rsa.RSAPublicKey)
    ec_pair = alg in EC_ALGORITHMS and isinstance(key, ec.EllipticCurvePublicKey)
    if not (rsa_pair or ec_pair):
        raise InvalidToken("algorithm does not fit the key")

    try:
        return jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=audience,
            issuer=settings.OIDC_ISSUER,
            leeway=min(settings.OIDC_LEEWAY_SECONDS, MAX_LEEWAY_SECONDS),
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "strict_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from exc


def _checked_subject(claims: Any) -> dict[str, Any]:
    if not isinstance(claims, dict):
        raise InvalidToken("malformed")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("no subject")
    return claims


def validate_access_token(token: str) -> dict[str, Any]:
    """The claims of an access token for this API from `OIDC_ISSUER`, or `InvalidToken`."""
    claims = _verified_claims(
        token, audience=settings.OIDC_AUDIENCE, allowed_types=ACCESS_TOKEN_TYPES
    )
    return _checked_subject(claims)


def validate_id_token(token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
    """The claims of an ID token issued to us (OpenID Connect Core 3.1.3.7), or `InvalidToken`."""
    claims = _checked_subject(_verified_claims(token, audience=client_id, allowed_types=None))
    if claims.get("nonce") != nonce:
        raise InvalidToken("nonce mismatch")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise InvalidToken("authorized party mismatch")
    return claims
