from __future__ import annotations

import io
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.utils.http import escape_leading_slashes

from config import health
from config.exceptions import error_response
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


class SecurityHeadersMiddleware:
    """The security headers on every response, including the ones answered before Django's
    SecurityMiddleware runs (probes, 400, 411 and 413 from the middleware below), and
    `Cache-Control: no-store` unless a view chose otherwise: responses carry patient data,
    which no shared or browser cache may keep. (Static files set their own caching.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Cache-Control", "no-store")
        return response


class RequestSizeLimitMiddleware:
    """411 for a body without a length, 413 for one over MAX_REQUEST_BODY_BYTES, before
    anything reads it.

    DRF parses JSON from the raw stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, so
    the limit is enforced here. WSGI gives Django no way to read a chunked body (it would read
    as empty, and a PATCH would "succeed" without its changes), so one is refused outright.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return error_response(
                request,
                411,
                "Send the request body with a Content-Length header; "
                "chunked transfer encoding is not supported.",
            )
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        if not (raw_length.isascii() and raw_length.isdigit()):
            return error_response(request, 400, "Invalid Content-Length header.")
        if int(raw_length) > settings.MAX_REQUEST_BODY_BYTES:
            return error_response(
                request,
                413,
                f"Request body too large: at most {settings.MAX_REQUEST_BODY_BYTES} bytes.",
            )
        return self.get_response(request)


# A NUL or a lone surrogate is never valid input: PostgreSQL cannot store a NUL in text,
# psycopg cannot encode a surrogate, and neither can our JSON renderer.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class UnsafeCharacter(Exception):
    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class RejectUnsafeCharactersMiddleware:
    """400 for a NUL character or a lone surrogate anywhere in a request: the path, the query
    string, a header, or a JSON or form body, in any field at any depth.

    The one place that guarantees it for every view (the API, the FHIR facade, the desk, the
    admin, the provider), so no view, serializer, query or log line ever sees one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self.check(request)
        except UnsafeCharacter as exc:
            return error_response(
                request,
                400,
                f"The request contains a NUL character or an unpaired surrogate in {exc.where}; "
                "these are never valid here.",
            )
        except (SuspiciousOperation, MultiPartParserError) as exc:
            # Too many form fields, a malformed multipart body: the client's fault.
            return error_response(request, 400, _suspicious_message(exc))
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        if _FORBIDDEN.search(request.path_info):
            raise UnsafeCharacter("the path")
        for name, value in request.META.items():
            header_name = name.startswith("HTTP_") or name == "CONTENT_TYPE"
            if header_name and isinstance(value, str) and _FORBIDDEN.search(value):
                header = name.removeprefix("HTTP_").replace("_", "-").title()
                raise UnsafeCharacter(f"the {header} header")
        _check_pairs(request.GET.lists(), "the query parameter")
        if not request.META.get("CONTENT_LENGTH"):
            return
        content_type = request.content_type or ""
        if content_type == "application/json" or content_type.endswith("+json"):
            _check_json(request.body)
        elif request.method == "POST" and content_type in _FORM_TYPES:
            _check_pairs(request.POST.lists(), "the field")
        elif content_type == "application/x-www-form-urlencoded":
            # Django parses the forms of POST requests only; DRF parses the others'.
            _check_pairs(QueryDict(request.body).lists(), "the field")
        elif content_type == "multipart/form-data":
            form, _ = MultiPartParser(
                request.META, io.BytesIO(request.body), request.upload_handlers
            ).parse()
            _check_pairs(form.lists(), "the field")


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _check_pairs(pairs: Iterable[tuple[str, list[str]]], what: str) -> None:
    for key, values in pairs:
        if _FORBIDDEN.search(key) or any(_FORBIDDEN.search(value) for value in values):
            raise UnsafeCharacter(f"{what} {_printable(key)!r}")


def _check_json(body: bytes) -> None:
    # Inside a JSON string both can only arrive escaped (\u0000, \ud800); raw, they make
    # the body invalid JSON, which the parser refuses. Most bodies have no escape at all.
    if b"\\u" not in body:
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # the parser answers 400 for it
    _check_value(document, "the body")


def _check_value(value: Any, where: str) -> None:
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise UnsafeCharacter(where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if _FORBIDDEN.search(key):
                raise UnsafeCharacter("a field name of the body")
            _check_value(item, f"the field {_printable(key)!r}")
    elif isinstance(value, list):
        for item in value:
            _check_value(item, where)


def _printable(name: str) -> str:
    return name[:64].encode("ascii", "backslashreplace").decode("ascii")


def _suspicious_message(exc: Exception) -> str:
    if type(exc).__name__ == "TooManyFieldsSent":
        return "The request has too many form fields."
    return "The request body is malformed."


class HttpResponsePermanentRedirectKeepMethod(HttpResponsePermanentRedirect):
    status_code = 308


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, with 308 instead of 301 for a missing trailing slash: clients re-send a 301
    as a GET, so `POST /api/orders` would quietly list orders instead of placing one. A 308
    keeps the method and the body."""

    response_redirect_class = HttpResponsePermanentRedirectKeepMethod

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        # Django raises RuntimeError here with DEBUG on for unsafe methods (a 301 would lose
        # the body); a 308 does not, so no special case is needed.
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on HTML pages (admin, browsable API, Swagger UI): scripts
    only from this origin. JSON responses carry no active content and need none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
