from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config import health
from config.logging import request_id_var

logger = logging.getLogger("requests")

# An incoming X-Request-ID is echoed only if it is short and plain, so a caller cannot inject
# text into our logs through it.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}\Z")

_PROBES = {"/healthz": health.healthz, "/readyz": health.readyz}


class HealthCheckMiddleware:
    """Answers the liveness and readiness probes before anything else runs.

    Orchestrators probe by IP address and over plain HTTP inside the cluster, so the probes
    must not depend on ALLOWED_HOSTS or the HTTPS redirect, and they would flood the request
    log every few seconds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class RequestLogMiddleware:
    """One log line per request, and a request id on every line logged while serving it.

    The path is logged without its query string, where secrets such as the delivery-report
    token ride.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "sub": getattr(request, "auth_subject", None),
                },
            )
            return response
        finally:
            request_id_var.reset(token)
