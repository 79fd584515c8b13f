"""The FHIR RESTful API's HTTP details: the media type, `_format` and `Accept`, `Prefer`,
the base URL, and errors as OperationOutcome resources."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from config.exceptions import exception_handler
from fhir.resources import operation_outcome

MEDIA_TYPE = "application/fhir+json; fhirVersion=4.0"

# `_format` values and Accept media types we answer with FHIR JSON. In a URL `+` means a
# space, so `_format=application/fhir+json` typed unencoded arrives as "application/fhir json".
_JSON_FORMATS = frozenset(
    {"json", "application/json", "application/fhir+json", "application/json+fhir"}
)
_ACCEPTED = _JSON_FORMATS | {"*/*", "application/*", "text/json"}


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This resource has been deleted."
    default_code = "gone"


def check_format(value: str) -> None:
    """406 unless `_format` asks for JSON."""
    if value.strip().replace(" ", "+").lower() not in _JSON_FORMATS:
        raise exceptions.NotAcceptable("Only JSON is served: _format=json.")


def check_pretty(value: str) -> None:
    if value not in ("true", "false"):
        raise exceptions.ParseError("_pretty: give true or false.")


def _acceptable(accept: str) -> bool:
    for media_range in accept.split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        if media_type.lower() not in _ACCEPTED:
            continue
        options = dict(p.partition("=")[::2] for p in parameters)
        if options.get("fhirVersion", "4.0").strip('"') in ("4.0", "4.0.1") and options.get(
            "q", "1"
        ) not in ("0", "0.0", "0.00", "0.000"):
            return True
    return False


class FhirContentNegotiation(DefaultContentNegotiation):
    """FHIR JSON or a 406: `_format` wins over `Accept`, as the specification says."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        formats = request.query_params.getlist("_format")
        if formats:
            for value in formats:
                check_format(value)
        else:
            accept = request.META.get("HTTP_ACCEPT", "").strip()
            if accept and not _acceptable(accept):
                raise exceptions.NotAcceptable(
                    "Only application/fhir+json (FHIR 4.0) is served; see _format."
                )
        renderer = next(iter(renderers))
        return renderer, renderer.media_type or MEDIA_TYPE


class FhirJSONRenderer(BaseRenderer):
    media_type = MEDIA_TYPE
    format = "json"
    # JSON is UTF-8 by definition (RFC 8259); the media type stays exactly as FHIR writes it.
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        request = (renderer_context or {}).get("request")
        try:
            pretty = request is not None and request.query_params.get("_pretty") == "true"
        except SuspiciousOperation:  # a query string Django refused: the error is answered
            pretty = False
        text = json.dumps(
            data,
            ensure_ascii=False,
            indent=2 if pretty else None,
            separators=None if pretty else (",", ":"),
        )
        return text.encode("utf-8", "replace")


def prefers_lenient(request: Request) -> bool:
    """`Prefer: handling=lenient`: unknown search parameters are ignored, not an error."""
    preferences = request.META.get("HTTP_PREFER", "")
    return any(p.strip().replace(" ", "") == "handling=lenient" for p in preferences.split(","))


def fhir_base(request: Request) -> str:
    """The facade's base URL: FHIR_BASE_URL, else this request's scheme and host."""
    if settings.FHIR_BASE_URL:
        return str(settings.FHIR_BASE_URL)
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("/metadata")


def _diagnostics(data: Any) -> str:
    if isinstance(data, Mapping):
        if "detail" in data and len(data) == 1:
            return str(data["detail"])
        return "; ".join(f"{key}: {_diagnostics(value)}" for key, value in data.items())
    if isinstance(data, list):
        return " ".join(_diagnostics(item) for item in data)
    return str(data)


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The service's exception handler (config.exceptions), its answer as an
    OperationOutcome: same statuses and headers (WWW-Authenticate, Retry-After)."""
    if isinstance(exc, SuspiciousOperation):
        # Django's own refusals of a request (too many parameters, a bad Host): a 400, in the
        # facade's format rather than Django's HTML page.
        exc = exceptions.ParseError("The request was refused as malformed.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    response.data = operation_outcome(response.status_code, _diagnostics(response.data))
    return response
