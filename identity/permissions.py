"""The scope checks: the one every API view goes through (in DEFAULT_PERMISSION_CLASSES), and
the FHIR facade's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from identity.scopes import (
    FHIR_READ_SCOPES,
    SAFE_METHODS,
    AccessGrant,
    may_read_fhir,
    required_scope,
)


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


# What a caller that may write a resource but not read it gets back from a write: the record's
# identifier, so it can refer to what it made, and nothing more.
WRITE_ONLY_RESPONSE_FIELDS = ("id", "code")


def visible_to_caller(data: Any, context: Mapping[str, Any]) -> Any:
    """The part of a response body the caller may see.

    A scope to write a resource is not a scope to read it: the answer to a write by a caller
    without `<resource>:read` keeps only the identifier (`id` or `code`; a view may name other
    fields in `write_only_response_fields`). Applied by the API's renderers, the one place
    every response body passes, so no view can forget it; errors are left as they are.
    """
    view, request, response = context.get("view"), context.get("request"), context.get("response")
    if view is None or request is None or response is None or response.status_code >= 400:
        return data
    resource = getattr(view, "scope_resource", None)
    if not resource or (request.method or "GET").upper() in SAFE_METHODS:
        return data
    grant = getattr(request, "auth", None)
    if isinstance(grant, AccessGrant) and f"{resource}:read" in grant.scopes:
        return data
    if not isinstance(data, Mapping):
        return None
    keep = getattr(view, "write_only_response_fields", WRITE_ONLY_RESPONSE_FIELDS)
    return {key: data[key] for key in keep if key in data}
