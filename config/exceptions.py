"""Domain errors and the one place they become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise these; `exception_handler` maps them to HTTP.

    `field` names the input field at fault, so the response carries a field-level message in
    the same shape as a serializer's validation error.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    field: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(body, status=exc.status_code)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database went away mid-request (a restart, a failover). The connection is
        # replaced before the next request; this one may simply be retried.
        logger.warning("database_unavailable", extra={"error": type(exc).__name__})
        return Response(
            {"detail": "The database is briefly unavailable; retry shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, SuspiciousOperation):
        # Too many form fields and the like, met while DRF parses a body: the client's fault.
        logger.warning("suspicious_request", extra={"error": type(exc).__name__})
        return Response({"detail": "Malformed request."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This record is still referenced by other records."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


_FHIR_ISSUE_CODES = {401: "login", 403: "forbidden", 404: "not-found", 429: "throttled"}


def error_response(request: HttpRequest, status_code: int, detail: str) -> HttpResponse:
    """An error answered outside a DRF view (middleware, Django's error handlers), in the shape
    its part of the site documents: an OperationOutcome under /fhir/, else `{"detail": ...}`."""
    if request.path_info.startswith("/fhir/"):
        code = _FHIR_ISSUE_CODES.get(status_code, "exception" if status_code >= 500 else "invalid")
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": detail}],
        }
        return JsonResponse(
            outcome, status=status_code, content_type="application/fhir+json; fhirVersion=4.0"
        )
    return JsonResponse({"detail": detail}, status=status_code)


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(("/api/", "/fhir/"))


# Django's error handlers (config.urls), for errors raised outside DRF's views: an unknown
# address, a disallowed Host header, too many form fields, a crash. JSON where clients expect
# JSON; Django's pages elsewhere.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(request, 400, "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return error_response(request, 403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for an address no route matches: JSON under /api/, like every other API error."""
    if _is_api(request):
        return error_response(request, 404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response(request, 500, "Internal server error.")
    return defaults.server_error(request)
