from __future__ import annotations

import time
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST

from config.exceptions import not_found
from monitoring.exposition import scrape, scrape_allowed
from monitoring.labels import METRICS_PATH, method_label, view_label
from monitoring.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS


class MetricsMiddleware:
    """Counts and times every request, and serves `/metrics` to those allowed to read it.

    Placed before host validation and the HTTPS redirect, like the probes: Prometheus scrapes
    each pod by its IP address over plain HTTP inside the cluster. Anyone else gets the same
    404 as for a page that does not exist.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        if request.path_info == METRICS_PATH:
            response = self.serve_metrics(request)
        else:
            response = self.get_response(request)
        view = view_label(request)
        method = method_label(request.method)
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_REQUEST_DURATION.labels(view, method).observe(time.perf_counter() - started)
        return response

    def serve_metrics(self, request: HttpRequest) -> HttpResponse:
        allowed = request.method in ("GET", "HEAD") and scrape_allowed(
            authorization=request.META.get("HTTP_AUTHORIZATION", ""),
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
        if not allowed:
            return not_found(request, Http404())
        return HttpResponse(scrape(with_outbox=True), content_type=CONTENT_TYPE_LATEST)
