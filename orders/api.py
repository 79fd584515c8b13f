"""HTTP glue for orders: validate input, call a service or selector, serialize output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.fields import AsciiDecimalField
from config.pagination import NewestFirstCursorPagination
from config.serializers import StrictInputMixin
from customers.models import Customer
from customers.selectors import customer_get_by_code, customers_with_code
from idempotency.api import IDEMPOTENCY_KEY_PARAMETER, IdempotentCreateMixin
from identity.selectors import principal_of
from notifications.api import (
    NotificationSerializer,
    OrderNotificationsField,
    SmsSummarySerializer,
    iso_z,
    order_messages_representation,
)
from notifications.selectors import notifications_of
from orders.models import Order, OrderStatus
from orders.selectors import ORDER_COLUMNS, HistoryEntry, order_history, order_list, order_rows
from orders.services import order_update, place_order, place_order_by_code


def amount_field(**kwargs: Any) -> serializers.DecimalField:
    """Money: positive, two places, ASCII digits; integers are accepted and come back as
    "50.00"."""
    return AsciiDecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


def customer_code_of(data: Any) -> str | None:
    """The customer code `data` gives, trimmed, or None if it gives none."""
    if not isinstance(data, str) or not data.strip() or len(data) > 32:
        return None
    return data.strip()


@extend_schema_field(OpenApiTypes.STR)
class CustomerCodeField(serializers.Field):
    """The order's customer, referenced by code (any case) as in the original API."""

    default_error_messages = {
        "invalid": "Enter a customer code.",
        "does_not_exist": "No customer with code '{code}'.",
    }

    def to_internal_value(self, data: Any) -> Customer:
        code = customer_code_of(data)
        if code is None:
            self.fail("invalid")
        customer = customer_get_by_code(code)
        if customer is None:
            self.fail("does_not_exist", code=code)
        return customer

    def to_representation(self, value: Customer) -> str:
        return value.code


_ORDER_INPUT = frozenset({"customer_code", "item", "amount", "physician_name"})
# What DecimalField(max_digits=10, decimal_places=2) takes without rounding: 8 whole digits.
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
_CENT = Decimal("0.01")
_TEXT_MAX_LENGTH = 200


def _plain_text(data: Any) -> str | None:
    # Visible ASCII and spaces: no control character, surrogate or other script to check.
    if type(data) is not str or not data.isascii() or not data.isprintable():
        return None
    text = data.strip()
    return text if 0 < len(text) <= _TEXT_MAX_LENGTH else None


def _plain_amount(data: Any) -> Decimal | None:
    if type(data) is int:  # not a bool
        amount = Decimal(data) if 0 < data < 10**8 else None
    elif type(data) is str and _PLAIN_AMOUNT.fullmatch(data):
        amount = Decimal(data)
    else:
        return None
    return amount.quantize(_CENT) if amount is not None and amount >= _CENT else None


def plain_order_fields(data: Any) -> dict[str, Any] | None:
    """What OrderSerializer's fields make of a plain order (a JSON object with the four
    fields, texts of visible ASCII, an amount as a whole number or a plain decimal string),
    with the customer still a code; None for anything else, which the fields then read one by
    one. Whether the customer exists is the one question left: a plain order is valid if
    they do.

    Building those fields from the model and running each one's validators was a third of a
    create's CPU (issue 14), for what is, at a front desk or from an EMR, nearly every order.
    `tests/orders/test_order_input.py` holds this reading equal to the fields' own.
    """
    if type(data) is not dict or data.keys() != _ORDER_INPUT:
        return None
    code = customer_code_of(data["customer_code"])
    item = _plain_text(data["item"])
    amount = _plain_amount(data["amount"])
    physician_name = _plain_text(data["physician_name"])
    if code is None or item is None or amount is None or physician_name is None:
        return None
    return {"customer_code": code, "item": item, "amount": amount, "physician_name": physician_name}


def plain_order_input(data: Any) -> dict[str, Any] | None:
    """`plain_order_fields` with the customer found: OrderSerializer's validated data for a
    plain, valid order, or None."""
    fields = plain_order_fields(data)
    if fields is None:
        return None
    customer = customer_get_by_code(fields.pop("customer_code"))
    return None if customer is None else {"customer": customer, **fields}


class OrderSerializer(StrictInputMixin, serializers.ModelSerializer[Order]):
    """An order. Its fields describe it (the OpenAPI schema, errors); a plain valid order is
    read, and every order written, without building them (issue 14): the tests hold both
    equal to the fields' own reading and writing."""

    customer_code = CustomerCodeField(source="customer")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    amount = amount_field()
    # One nested serializer for the whole list (a serializer made per row rebuilt its fields
    # from the model every time: most of a list's cost). Null for orders placed before SMS.
    sms = SmsSummarySerializer(read_only=True, allow_null=True)
    notifications = OrderNotificationsField(child=NotificationSerializer(), read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "customer_code",
            "customer_name",
            "item",
            "amount",
            "physician_name",
            "status",
            "sms",
            "notifications",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "created_at", "updated_at"]
        # An order has no unique fields: no validator to build from the model either.
        validators: list[Any] = []

    def to_internal_value(self, data: Any) -> Any:
        plain = plain_order_input(data)
        return super().to_internal_value(data) if plain is None else plain

    def run_validators(self, value: Any) -> None:
        # DRF builds every field to collect read-only defaults for the validators, of which an
        # order has none (Meta.validators).
        if self.validators:
            super().run_validators(value)

    def to_representation(self, instance: Order) -> dict[str, Any]:
        return order_representation(instance)


class OrderUpdateSerializer(StrictInputMixin, serializers.ModelSerializer[Order]):
    """What PATCH may change: the status, and the fields of a placed order (with the model's
    own rules for each). At least one of them."""

    requires_a_field = True
    amount = amount_field(required=False)

    class Meta:
        model = Order
        fields = ["item", "amount", "physician_name", "status"]
        extra_kwargs = {name: {"required": False} for name in fields}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and "customer_code" in data:
            raise serializers.ValidationError(
                {
                    "customer_code": [
                        "The customer of an order cannot be changed; "
                        "cancel it and place a new order."
                    ]
                }
            )
        return super().to_internal_value(data)


def order_representation(order: Order) -> dict[str, Any]:
    """What OrderSerializer's fields write for `order`."""
    return order_row_representation(
        {
            **{field: getattr(order, field) for field in ORDER_COLUMNS},
            "customer_code": order.customer.code,
            "customer_name": order.customer.name,
            "messages": notifications_of(order),
        }
    )


def order_row_representation(row: dict[str, Any]) -> dict[str, Any]:
    """What OrderSerializer writes for an order, from a row of `order_rows()`."""
    sms, notifications = order_messages_representation(row["messages"])
    return {
        "id": row["id"],
        "customer_code": row["customer_code"],
        "customer_name": row["customer_name"],
        "item": row["item"],
        "amount": f"{row['amount']:.2f}",
        "physician_name": row["physician_name"],
        "status": row["status"],
        "sms": sms,
        "notifications": notifications,
        "created_at": iso_z(row["created_at"]),
        "updated_at": iso_z(row["updated_at"]),
    }


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, brought to UTC: PostgreSQL refuses offsets past 15:59, which
    Python accepts, and a 500 is no answer to a strange but well-formed filter."""

    def to_python(self, value: Any) -> datetime | None:
        if isinstance(value, str) and not value.isascii():
            # Python reads other scripts' digits in dates too; we take ASCII digits only.
            raise forms.ValidationError("Enter a valid date/time.", code="invalid")
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time between years 1 and 9999.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class OrderFilter(django_filters.FilterSet):
    customer_code = django_filters.CharFilter(method="filter_customer_code")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Order
        fields = ["customer_code", "status", "created_after", "created_before"]

    def filter_customer_code(
        self, queryset: QuerySet[Order], name: str, value: str
    ) -> QuerySet[Order]:
        return queryset.filter(customer__in=customers_with_code(value))


class PlainOrderCreateMixin:
    """A plain order (`plain_order_fields`) is placed by its customer's code: the customer is
    read with the new order's id (`place_order_by_code`), a round trip fewer than finding
    them first, and an unknown code is the 400 the serializer gives. Anything else goes
    through the serializer. Under IdempotentCreateMixin, inside the key's transaction."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plain = plain_order_fields(request.data)
        if plain is None:
            return super().create(request, *args, **kwargs)  # type: ignore[misc]
        user = request.user
        order = place_order_by_code(**plain, created_by=user if isinstance(user, User) else None)
        return Response(order_representation(order), status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER]))
class OrderListCreateView(
    IdempotentCreateMixin, PlainOrderCreateMixin, generics.ListCreateAPIView[Order]
):
    """List orders, newest first, a cursor page at a time (filter by customer, status,
    creation time), or place one."""

    # Safe methods need the "orders:read" scope, others "orders:write" (identity app).
    scope_resource = "orders"
    idempotency_operation = "orders.create"
    serializer_class = OrderSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = OrderFilter
    search_fields: list[str] = []

    def get_queryset(self) -> QuerySet[Order]:
        return order_list()

    def filter_queryset(self, queryset: Any) -> Any:
        if not any(name in self.request.query_params for name in OrderFilter.base_filters):
            # Nothing to filter by: django-filter would still build (deep-copy) its filters
            # and a form to validate nothing, a fifth of an unfiltered page's time.
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # OrderSerializer's output (and schema), written from plain rows: model instances and
        # the serializer's field-by-field path cost most of a page's time (issue 14). Same
        # filters, same cursor pages; tests compare the two representations.
        rows = self.filter_queryset(order_rows())
        page = self.paginate_queryset(rows)
        assert page is not None  # the view always paginates
        return self.get_paginated_response([order_row_representation(row) for row in page])

    def perform_create(self, serializer: serializers.BaseSerializer[Order]) -> None:
        user = self.request.user
        serializer.instance = place_order(
            **serializer.validated_data,
            created_by=user if isinstance(user, User) else None,
        )


class OrderAddView(OrderListCreateView):
    """Place an order (the original API's `/add/` address)."""

    http_method_names = ["post", "options"]


class OrderDetailView(generics.RetrieveAPIView[Order]):
    """Read an order, or PATCH it: correct a placed order, fulfil it or cancel it. Orders are
    medical records and are never deleted."""

    # Safe methods need the "orders:read" scope, others "orders:write" (identity app).
    scope_resource = "orders"
    serializer_class = OrderSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Order]:
        return order_list()

    @extend_schema(request=OrderUpdateSerializer, responses=OrderSerializer)
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        order = self.get_object()
        changes = OrderUpdateSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        order = order_update(order=order, **changes.validated_data)
        return Response(OrderSerializer(order, context=self.get_serializer_context()).data)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["created", "updated", "deleted", "sms"])
    changed_by = serializers.SerializerMethodField()
    changes = FieldChangeSerializer(many=True)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"issuer": {"type": "string"}, "subject": {"type": "string"}},
        }
    )
    def get_changed_by(self, entry: HistoryEntry) -> dict[str, str] | None:
        return principal_of(entry.by) if entry.by is not None else None


class OrderHistoryView(generics.GenericAPIView[Order]):
    """The order's audit trail, oldest first: every change, who made it and when."""

    scope_resource = "orders"
    serializer_class = HistoryEntrySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Order]:
        return order_list()

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        entries = order_history(order=self.get_object())
        return Response(HistoryEntrySerializer(entries, many=True).data)
