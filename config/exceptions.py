"""Domain errors and the one place they become HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
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
    if isinstance(exc, ProtectedError):
        return Response(
            {"detail": "This record is still referenced by other records."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for an address no route matches: JSON under /api/, like every other API error."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
