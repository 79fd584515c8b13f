"""Label values for requests: names from our code, never from the request's content."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import resolve

METRICS_PATH = "/metrics"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Answered by middleware before URL resolution (config.middleware.HealthCheckMiddleware).
_PROBES = {"/healthz": "healthz", "/readyz": "readyz", METRICS_PATH: "metrics"}


def method_label(method: str | None) -> str:
    """Any other method (a caller may send any word) counts as `other`."""
    return method if method in _METHODS else "other"


def view_label(request: HttpRequest) -> str:
    """The name of the view that answered (`customers:detail`), never the path, which holds
    customer codes and ids."""
    probe = _PROBES.get(request.path_info)
    if probe is not None:
        return probe
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Answered before URL resolution (a 400 for the host, a 413, a static file).
        if request.path_info.startswith(f"/{settings.STATIC_URL.lstrip('/')}"):
            return "static"
        try:
            match = resolve(request.path_info)
        except Exception:
            # No view matches (Resolver404), or a hostile path trips a converter: counting
            # must never fail a request.
            return "unmatched"
    return str(match.view_name)
