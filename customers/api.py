"""HTTP glue for customers: validate input, call a service or selector, serialize output."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import CappedCountPagination
from config.serializers import StrictInputMixin
from customers.models import Customer, SmsOptOutSource
from customers.phone import InvalidPhoneNumber, normalize_mobile_number
from customers.selectors import (
    customer_code_taken,
    customer_get_by_code,
    customer_list,
    customer_search,
)
from customers.services import (
    customer_create,
    customer_delete,
    customer_set_sms_opt_out,
    customer_update,
)
from idempotency.api import IDEMPOTENCY_KEY_PARAMETER, IdempotentCreateMixin


class PhoneNumberField(serializers.CharField):
    """Accepts a national or international number, gives back E.164."""

    def to_internal_value(self, data: Any) -> str:
        raw = super().to_internal_value(data)
        try:
            return normalize_mobile_number(raw)
        except InvalidPhoneNumber as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CustomerSerializer(StrictInputMixin, serializers.ModelSerializer[Customer]):
    contact_number = PhoneNumberField(
        max_length=32, help_text="E.164; national numbers are read in the default region."
    )

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "contact_number",
            "email",
            "insurance_number",
            "preferred_language",
            "sms_opt_out",
            "sms_opt_out_at",
            "sms_opt_out_source",
            "created_at",
            "updated_at",
        ]
        # The opt-out changes only through /sms-opt-out/ and the patient's replies.
        read_only_fields = [
            "sms_opt_out",
            "sms_opt_out_at",
            "sms_opt_out_source",
            "created_at",
            "updated_at",
        ]

    def validate_code(self, value: str) -> str:
        exclude_pk = self.instance.pk if self.instance is not None else None
        if customer_code_taken(value, exclude_pk=exclude_pk):
            raise serializers.ValidationError("A customer with this code already exists.")
        return value


class CustomerSearchFilter(SearchFilter):
    """`?search=`: DRF's terms (split on spaces and commas, quotes kept together), matched by
    `customers.selectors.customer_search` so that PostgreSQL's indexes serve them, and a
    phone number finds its patient."""

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        terms = self.get_search_terms(request)
        return customer_search(queryset, terms) if terms else queryset


@extend_schema_view(post=extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER]))
class CustomerListCreateView(IdempotentCreateMixin, generics.ListCreateAPIView[Customer]):
    """List customers (search by code, name or email) or create one."""

    # Safe methods need the "customers:read" scope, others "customers:write" (identity app).
    scope_resource = "customers"
    idempotency_operation = "customers.create"
    serializer_class = CustomerSerializer
    # Named for the schema; customer_search does the matching (and finds phone numbers too).
    search_fields = ["code", "name", "email"]
    filter_backends = [DjangoFilterBackend, CustomerSearchFilter]
    pagination_class = CappedCountPagination

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_list()

    def perform_create(self, serializer: serializers.BaseSerializer[Customer]) -> None:
        serializer.instance = customer_create(**serializer.validated_data)


class CustomerAddView(CustomerListCreateView):
    """Create a customer (the original API's `/add/` address)."""

    http_method_names = ["post", "options"]


CODE_PARAMETER = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description="The customer's code, in any case.",
    # A code as customers.models allows it; `add` is the original API's create address.
    pattern=r"^(?![Aa][Dd][Dd]$)[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
)


@extend_schema_view(
    get=extend_schema(parameters=[CODE_PARAMETER]),
    put=extend_schema(parameters=[CODE_PARAMETER]),
    patch=extend_schema(parameters=[CODE_PARAMETER]),
    delete=extend_schema(parameters=[CODE_PARAMETER]),
)
class CustomerDetailView(generics.RetrieveUpdateDestroyAPIView[Customer]):
    """Read, change or delete a customer by code (any case). A customer with orders cannot be
    deleted: 409."""

    # Safe methods need the "customers:read" scope, others "customers:write" (identity app).
    scope_resource = "customers"
    serializer_class = CustomerSerializer
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Customer]:
        return customer_list()

    def get_object(self) -> Customer:
        customer = customer_get_by_code(self.kwargs["code"])
        if customer is None:
            raise Http404
        self.check_object_permissions(self.request, customer)
        return customer

    def perform_update(self, serializer: serializers.BaseSerializer[Customer]) -> None:
        assert serializer.instance is not None
        serializer.instance = customer_update(
            customer=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Customer) -> None:
        customer_delete(customer=instance)


@extend_schema_view(
    post=extend_schema(
        request=None, responses={200: CustomerSerializer}, parameters=[CODE_PARAMETER]
    ),
    delete=extend_schema(
        request=None, responses={200: CustomerSerializer}, parameters=[CODE_PARAMETER]
    ),
)
class CustomerSmsOptOutView(APIView):
    """POST: the patient gets no more SMS (messages due are suppressed). DELETE: they get SMS
    again (old messages are not resent). Idempotent; each change is in the audit trail."""

    # POST and DELETE need the "customers:write" scope (identity app).
    scope_resource = "customers"

    def _set(self, code: str, *, opt_out: bool) -> Response:
        customer = customer_get_by_code(code)
        if customer is None:
            raise Http404
        customer = customer_set_sms_opt_out(
            customer=customer, opt_out=opt_out, source=SmsOptOutSource.STAFF
        )
        return Response(CustomerSerializer(customer).data)

    def post(self, request: Request, code: str) -> Response:
        return self._set(code, opt_out=True)

    def delete(self, request: Request, code: str) -> Response:
        return self._set(code, opt_out=False)
