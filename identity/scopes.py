"""The four API scopes, the SMART on FHIR system scopes the FHIR facade also accepts, and how a
token's claims and a request's method map onto them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"
API_SCOPES: frozenset[str] = frozenset({CUSTOMERS_READ, CUSTOMERS_WRITE, ORDERS_READ, ORDERS_WRITE})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The FHIR resource types the facade serves (fhir app), each with the API scope that reads it.
FHIR_READ_SCOPES: dict[str, str] = {
    "Patient": CUSTOMERS_READ,
    "MedicationRequest": ORDERS_READ,
    "MedicationDispense": ORDERS_READ,
    "Communication": ORDERS_READ,
}

# SMART on FHIR system scopes (backend services, no user or patient context):
# `system/Patient.rs` (v2: any of c r u d s, in that order) or `system/Patient.read` (v1),
# for one type or `*`. v2 granular scopes (`?category=...`) and `patient/` or `user/` scopes
# are not understood here, so they grant nothing.
_SMART_SYSTEM_SCOPE = re.compile(
    r"system/(?P<type>\*|[A-Z][A-Za-z]{0,63})\.(?P<permissions>read|\*|c?r?u?d?s?)\Z",
    re.ASCII,
)


def smart_read_type(scope: str) -> str | None:
    """The resource type (or `*`) a SMART system scope lets its holder read and search, or
    None when it grants no reading of a type the facade serves. v2 needs both `r` (read) and
    `s` (search): every FHIR endpoint here answers reads and searches alike."""
    match = _SMART_SYSTEM_SCOPE.match(scope)
    if match is None:
        return None
    resource_type, permissions = match["type"], match["permissions"]
    if resource_type != "*" and resource_type not in FHIR_READ_SCOPES:
        return None
    if permissions in ("read", "*") or ("r" in permissions and "s" in permissions):
        return resource_type
    return None


def known_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes among `scopes` that mean something here: our four, and the SMART system
    scopes that read a type the facade serves. Everything else is dropped."""
    return frozenset(s for s in scopes if s in API_SCOPES or smart_read_type(s) is not None)


def may_read_fhir(scopes: Iterable[str], resource_type: str) -> bool:
    """Whether `scopes` read `resource_type` through the FHIR facade: its API scope
    (`customers:read` for Patient, `orders:read` for the others) or a SMART system scope for
    the type or `*`. SMART scopes grant nothing on the REST API."""
    scopes = frozenset(scopes)
    if FHIR_READ_SCOPES.get(resource_type) in scopes:
        return True
    return any(smart_read_type(s) in (resource_type, "*") for s in scopes)


def smart_scopes_supported() -> list[str]:
    """The SMART system scopes the built-in provider offers: v2 `.rs` and v1 `.read`, per
    type and for `*`."""
    return [
        f"system/{resource_type}.{permissions}"
        for resource_type in [*FHIR_READ_SCOPES, "*"]
        for permissions in ("rs", "read")
    ]


@dataclass(frozen=True)
class AccessGrant:
    """What a caller may do, whatever way it authenticated (JWT, built-in token, session).

    DRF puts it in `request.auth`; the scope permissions read nothing else."""

    issuer: str
    subject: str
    scopes: frozenset[str]


def scopes_from_claims(claims: Mapping[str, Any]) -> frozenset[str]:
    """Scopes as providers write them: `scope` (space-separated string, RFC 9068), `scp` (a
    list, Okta and Azure AD) or `permissions` (a list, Auth0 RBAC). Only known scopes count."""
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
    return known_scopes(found)


def required_scope(*, resource: str, method: str) -> str:
    """`customers` + GET -> `customers:read`; any unsafe method needs `:write`."""
    return f"{resource}:{'read' if method.upper() in SAFE_METHODS else 'write'}"
