"""Validating JWTs from the external OpenID Provider: access tokens (RFC 9068) and ID tokens.

Every check that fails raises `InvalidToken` with a reason for our logs only; callers answer
401 `invalid_token` and tell the client nothing more, so a forger learns nothing from us.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from jwt.utils import base64url_decode, base64url_encode

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


_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*\Z")


class _JWS(jwt.PyJWS):
    """PyJWS reading each segment exactly as strictly as PyJWT 2.15 does (its alphabet, at most
    two `=`, only where they complete a block, the canonical encoding), with the alphabet
    checked by one regular expression: PyJWT tests each character in a Python loop, which was
    40% of a token check's CPU."""

    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        stripped = segment.rstrip(b"=")
        padding = len(segment) - len(stripped)
        if (
            padding > 2
            or (padding and len(segment) % 4)
            or len(stripped) % 4 == 1
            or not _BASE64URL.match(stripped)
        ):
            raise jwt.DecodeError(f"Invalid {name} padding")
        try:
            decoded = base64url_decode(stripped)
        except (TypeError, binascii.Error) as err:
            raise jwt.DecodeError(f"Invalid {name} padding") from err
        if base64url_encode(decoded) != stripped:
            raise jwt.DecodeError(f"Invalid {name} padding")
        return decoded


class _JWT(jwt.PyJWT):
    def __init__(self) -> None:
        super().__init__()
        self._jws = _JWS(options=self._get_sig_options())


_jwt = _JWT()


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key: `jwt.decode` reads it again, strictly,
    with the rest of the token, and refuses what this lets through.

    Not `jwt.get_unverified_header`: it decodes and checks all three segments, the alphabet
    one character at a time in Python, which made reading the header half of a token
    check's CPU."""
    try:
        header = json.loads(base64url_decode(token.partition(".")[0]))
    except (ValueError, RecursionError, TypeError) as exc:
        raise InvalidToken("malformed") from exc
    # The names this reads are strings or absent: a list or an object as `alg` made the
    # algorithm check itself fail (unhashable), a 500.
    if not isinstance(header, dict) or not all(
        isinstance(header.get(name, ""), str) for name in ("alg", "typ", "kid")
    ):
        raise InvalidToken("malformed")
    return header


def _verified_claims(token: str, *, audience: str, allowed_types: frozenset[str] | None) -> Any:
    header = _unverified_header(token)
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise InvalidToken("algorithm not allowed")
    typ = header.get("typ")
    if allowed_types is not None and typ is not None and typ.lower() not in allowed_types:
        raise InvalidToken("wrong token type")
    kid = header.get("kid")

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
        return _jwt.decode(
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
