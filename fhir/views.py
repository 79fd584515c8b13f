"""HTTP glue for the FHIR R4 facade: authenticate and check scopes (DRF, identity app), turn
the request into a selector call (fhir.search) or a lookup, and answer FHIR JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.http import http_date
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import (
    customer_audited_with_code,
    customer_deleted_with_code,
    customer_history_record,
)
from fhir.capability import capability_statement
from fhir.protocol import (
    FhirContentNegotiation,
    FhirJSONRenderer,
    Gone,
    check_format,
    check_pretty,
    fhir_base,
    fhir_exception_handler,
    prefers_lenient,
)
from fhir.resources import (
    Version,
    communication_resource,
    customer_code,
    medication_dispense_resource,
    medication_request_resource,
    numeric_id,
    patient_resource,
)
from fhir.search import audit_version, order_version, search
from identity.authentication import ProviderUnreachable
from identity.keys import ProviderUnavailable, provider_keys
from identity.permissions import HasFhirReadScope
from identity.scopes import FHIR_READ_SCOPES, AccessGrant, may_read_fhir, smart_scopes_supported
from notifications.selectors import notification_get
from orders.models import OrderStatus
from orders.selectors import fulfilled_order_audited, order_at_version, order_audited


class FhirView(APIView):
    """FHIR JSON in, FHIR JSON or an OperationOutcome out; the REST API's authentication,
    throttling and (with `fhir_type`) a read scope for the type. Not in the OpenAPI schema:
    the CapabilityStatement describes these endpoints."""

    schema = None
    renderer_classes = [FhirJSONRenderer]
    content_negotiation_class = FhirContentNegotiation
    permission_classes = [IsAuthenticated, HasFhirReadScope]
    parser_classes: list[Any] = []
    # OPTIONS would describe the view in DRF's own terms; the CapabilityStatement does that.
    metadata_class = None
    fhir_type: str = ""

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return fhir_exception_handler


def _check_read_parameters(request: Request) -> None:
    """A read takes `_format` and `_pretty` only; anything else is a 400 (or ignored with
    `Prefer: handling=lenient`), as in a search."""
    for name, values in request.query_params.lists():
        if name == "_format":
            for value in values:
                check_format(value)
        elif name == "_pretty":
            for value in values:
                check_pretty(value)
        elif not prefers_lenient(request):
            raise exceptions.ParseError(f"Unknown parameter '{name[:64]}' for a read.")


def _read_response(resource: dict[str, Any], version: Version) -> Response:
    """A resource with its version as ETag and its last change as Last-Modified."""
    response = Response(resource)
    if version.id is not None:
        response["ETag"] = f'W/"{version.id}"'
    response["Last-Modified"] = http_date(version.at.timestamp())
    return response


def _history_id(vid: str) -> int:
    history_id = numeric_id(vid)
    if history_id is None:
        raise exceptions.NotFound("No such version.")
    return history_id


def _readable(request: Request) -> frozenset[str]:
    """The resource types the caller may read."""
    grant = request.auth
    if not isinstance(grant, AccessGrant):
        return frozenset()
    return frozenset(t for t in FHIR_READ_SCOPES if may_read_fhir(grant.scopes, t))


def _may_read_orders(request: Request) -> bool:
    """Whether the caller may read orders, and so the text of their SMS."""
    return "MedicationRequest" in _readable(request)


class SearchView(FhirView):
    """`GET [base]/[type]?...` and `POST [base]/[type]/_search` (form-encoded; parameters in
    the URL count too)."""

    parser_classes = [FormParser]

    def get(self, request: Request) -> Response:
        return self._search(request, list(_items(request.query_params)))

    def post(self, request: Request) -> Response:
        return self._search(request, [*_items(request.query_params), *_items(request.data)])

    def _search(self, request: Request, items: list[tuple[str, str]]) -> Response:
        bundle = search(
            self.fhir_type,
            items,
            base=fhir_base(request),
            lenient=prefers_lenient(request),
            readable=_readable(request),
        )
        return Response(bundle)


def _items(params: Any) -> list[tuple[str, str]]:
    return [(name, value) for name, values in params.lists() for value in values]


class PatientReadView(FhirView):
    fhir_type = "Patient"

    def get(self, request: Request, resource_id: str, vid: str | None = None) -> Response:
        _check_read_parameters(request)
        code = customer_code(resource_id)
        if code is None:
            raise exceptions.NotFound("No such Patient.")
        customer = customer_audited_with_code(code)
        deleted = customer_deleted_with_code(code) if customer is None else None
        if vid is None:
            if customer is not None:
                version = audit_version(customer)
                return _read_response(patient_resource(customer, version=version), version)
            if deleted is not None:
                raise Gone("This Patient has been deleted.")
            raise exceptions.NotFound("No such Patient.")
        customer_pk = customer.pk if customer is not None else deleted.id if deleted else None
        record = (
            customer_history_record(customer_pk=customer_pk, history_id=_history_id(vid))
            if customer_pk is not None
            else None
        )
        if record is None:
            raise exceptions.NotFound("No such version of this Patient.")
        if record.history_type == "-":
            raise Gone("This version records the Patient's deletion.")
        version = Version(str(record.history_id), record.history_date)
        return _read_response(patient_resource(record.instance, version=version), version)


class MedicationRequestReadView(FhirView):
    fhir_type = "MedicationRequest"

    def get(self, request: Request, resource_id: str, vid: str | None = None) -> Response:
        _check_read_parameters(request)
        pk = numeric_id(resource_id)
        order = order_audited(pk) if pk is not None else None
        if order is None:
            raise exceptions.NotFound("No such MedicationRequest.")
        if vid is not None:
            order = order_at_version(order_pk=order["id"], history_id=_history_id(vid))
            if order is None:
                raise exceptions.NotFound("No such version of this MedicationRequest.")
        version = order_version(order)
        resource = medication_request_resource(order, version=version, base=fhir_base(request))
        return _read_response(resource, version)


class MedicationDispenseReadView(FhirView):
    fhir_type = "MedicationDispense"

    def get(self, request: Request, resource_id: str, vid: str | None = None) -> Response:
        _check_read_parameters(request)
        pk = numeric_id(resource_id)
        order = fulfilled_order_audited(pk) if pk is not None else None
        if order is None:
            raise exceptions.NotFound("No such MedicationDispense.")
        version = order_version(order)
        if vid is not None:
            # A version of the dispense is a version of the order in which it was fulfilled;
            # what it shows is the dispense as it is (fulfilment is final).
            seen = order_at_version(order_pk=order["id"], history_id=_history_id(vid))
            if seen is None or seen["status"] != OrderStatus.FULFILLED:
                raise exceptions.NotFound("No such version of this MedicationDispense.")
            version = order_version(seen)
        resource = medication_dispense_resource(
            order, version=version, fulfilled_at=order["fulfilled_at"]
        )
        return _read_response(resource, version)


class CommunicationReadView(FhirView):
    fhir_type = "Communication"

    def get(self, request: Request, resource_id: str) -> Response:
        _check_read_parameters(request)
        pk = numeric_id(resource_id)
        notification = notification_get(pk) if pk is not None else None
        if notification is None:
            raise exceptions.NotFound("No such Communication.")
        resource = communication_resource(
            notification, include_payload=_may_read_orders(request), base=fhir_base(request)
        )
        return _read_response(resource, Version(None, notification.updated_at))


class MetadataView(FhirView):
    """`GET [base]/metadata`: the CapabilityStatement. Public: it holds no patient data."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        _check_read_parameters(request)
        return Response(capability_statement(base=fhir_base(request)))


class SmartConfigurationView(FhirView):
    """`GET [base]/.well-known/smart-configuration` (SMART App Launch 2.0): where to get a
    token. Public, like the provider's own discovery document it repeats."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request: Request) -> Response:
        scopes = ["customers:read", "orders:read", *smart_scopes_supported()]
        if settings.OIDC_ISSUER:
            try:
                metadata = provider_keys().metadata()
            except ProviderUnavailable:
                raise ProviderUnreachable from None
            configuration: dict[str, Any] = {
                key: metadata[key]
                for key in (
                    "issuer",
                    "jwks_uri",
                    "authorization_endpoint",
                    "token_endpoint",
                    "token_endpoint_auth_methods_supported",
                    "grant_types_supported",
                    "code_challenge_methods_supported",
                    "revocation_endpoint",
                    "introspection_endpoint",
                )
                if key in metadata
            }
        else:
            configuration = {
                "issuer": request.build_absolute_uri(
                    reverse("oauth2_provider:oidc-connect-discovery-info")
                ).removesuffix("/.well-known/openid-configuration"),
                "jwks_uri": request.build_absolute_uri(reverse("oauth2_provider:jwks-info")),
                "authorization_endpoint": request.build_absolute_uri(
                    reverse("oauth2_provider:authorize")
                ),
                "token_endpoint": request.build_absolute_uri(reverse("oauth2_provider:token")),
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "grant_types_supported": ["client_credentials", "authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "revocation_endpoint": request.build_absolute_uri(
                    reverse("oauth2_provider:revoke-token")
                ),
                "introspection_endpoint": request.build_absolute_uri(
                    reverse("oauth2_provider:introspect")
                ),
            }
        configuration.setdefault("grant_types_supported", ["client_credentials"])
        configuration.setdefault("code_challenge_methods_supported", ["S256"])
        configuration["scopes_supported"] = scopes
        configuration["capabilities"] = [
            "client-confidential-symmetric",
            "permission-v1",
            "permission-v2",
        ]
        return Response(configuration)


class UnknownView(FhirView):
    """Any other address under the base: a 404 OperationOutcome, whoever asks."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.NotFound(
            "Not a resource type or interaction of this server; see metadata."
        )
