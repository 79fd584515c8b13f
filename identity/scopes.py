"""The four API scopes, and how a token's claims and a request's method map onto them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"
API_SCOPES: frozenset[str] = frozenset({CUSTOMERS_READ, CUSTOMERS_WRITE, ORDERS_READ, ORDERS_WRITE})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccessGrant:
    """What a caller may do, whatever way it authenticated (JWT, built-in token, session).

    DRF puts it in `request.auth`; the scope permission reads nothing else."""

    issuer: str
    subject: str
    scopes: frozenset[str]


def scopes_from_claims(claims: Mapping[str, Any]) -> frozenset[str]:
    """Scopes as providers write them: `scope` (space-separated string, RFC 9068), `scp` (a
    list, Okta and Azure AD) or `permissions` (a list, Auth0 RBAC). Only our four count."""
    found: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        found.update(scope.split())
    for name in ("scp", "permissions"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(item for item in value if isinstance(item, str))
    return frozenset(found & API_SCOPES)


def required_scope(*, resource: str, method: str) -> str:
    """`customers` + GET -> `customers:read`; any unsafe method needs `:write`."""
    return f"{resource}:{'read' if method.upper() in SAFE_METHODS else 'write'}"
