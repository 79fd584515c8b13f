"""The scope checks: the one every API view goes through (in DEFAULT_PERMISSION_CLASSES), and
the FHIR facade's."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from identity.scopes import FHIR_READ_SCOPES, AccessGrant, may_read_fhir, required_scope


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        # `scope` may list alternatives, space-separated, as RFC 6750's attribute does.
        super().__init__(f"This request needs the scope {' or '.join(scope.split())}.")
        # DRF's exception handler turns `auth_header` into WWW-Authenticate (RFC 6750 3.1).
        self.auth_header = f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'


class HasResourceScope(BasePermission):
    """Safe methods need `<resource>:read`, others `<resource>:write`, where the view names
    its resource in `scope_resource`. A view that names none is closed to everyone: a new
    endpoint must say what it guards before anybody can use it."""

    message = "This endpoint declares no scope and is closed."

    def has_permission(self, request: Request, view: Any) -> bool:
        resource = getattr(view, "scope_resource", None)
        if not resource:
            return False
        if request.user is None or not request.user.is_authenticated:
            # DRF answers a denied anonymous caller with 401 and the bearer challenge.
            return False
        scope = required_scope(resource=resource, method=request.method or "GET")
        grant = request.auth
        if not isinstance(grant, AccessGrant) or scope not in grant.scopes:
            raise InsufficientScope(scope)
        return True


class HasFhirReadScope(BasePermission):
    """The FHIR facade is read-only: every request (GET, and POST to `_search`) needs read
    access to the view's `fhir_type`, through its API scope or a SMART system scope
    (identity.scopes.may_read_fhir). A view that names no type is closed to everyone."""

    message = "This endpoint declares no FHIR resource type and is closed."

    def has_permission(self, request: Request, view: Any) -> bool:
        resource_type = getattr(view, "fhir_type", None)
        if resource_type not in FHIR_READ_SCOPES:
            return False
        if request.user is None or not request.user.is_authenticated:
            return False
        grant = request.auth
        if not isinstance(grant, AccessGrant) or not may_read_fhir(grant.scopes, resource_type):
            raise InsufficientScope(f"{FHIR_READ_SCOPES[resource_type]} system/{resource_type}.rs")
        return True
