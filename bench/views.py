"""The ceilings the service is measured against, served by the same gunicorn, settings
and middleware as the API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.models import BaselineRow
from bench.same_rows import place_same_rows
from customers.models import Customer
from orders.models import Order
from orders.selectors import order_rows
from orders.services import place_order

CONSTANT = {"id": 1, "status": "placed", "item": "Paracetamol", "amount": "50.00"}


def constant(request: HttpRequest) -> JsonResponse:
    """The framework ceiling: Django answering with a constant JSON body."""
    return JsonResponse(CONSTANT)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    """The insert ceiling: one ORM insert per request."""
    row = BaselineRow.objects.create(payload="x")
    return JsonResponse({"id": row.pk}, status=201)


@cache
def _first_customer() -> Customer:
    return Customer.objects.get(code="CUST000001")


def place_kept_work() -> Order:
    """`place_order` alone (the order, its audit-trail row and its outbox row in one
    transaction, the customer held), for a customer read once per process: what the
    benchmark's create places, without its token, validation, lookup or representation."""
    return place_order(
        customer=_first_customer(), item="Paracetamol", amount=Decimal(50), physician_name="X"
    )


@csrf_exempt
def place(request: HttpRequest) -> JsonResponse:
    """The kept-work ceiling of placing an order (`place_kept_work`): the most a create could
    do if everything around the kept work cost nothing."""
    return JsonResponse({"id": place_kept_work().pk}, status=201)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({name: ["A text is required."]})
    return value.strip()


class SameRowsCreate(APIView):
    """The same-rows ceiling of a create: DRF's request cycle as the API's create has it (the
    bearer token, the orders scope, the throttle, JSON in and out) around `place_same_rows`,
    which writes the same three rows by hand. No serializer, no ORM, no audit-trail library:
    the body's four fields are only checked to be there. What a create costs beyond this is
    what those libraries cost."""

    scope_resource = "orders"

    def post(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError("Send a JSON object.")
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            raise ValidationError({"amount": ["A number is required."]}) from None
        placed = place_same_rows(
            code=_text(data, "customer_code"),
            item=_text(data, "item"),
            amount=amount,
            physician_name=_text(data, "physician_name"),
            user_id=request.user.pk if isinstance(request.user, User) else None,
        )
        if placed is None:
            raise ValidationError({"customer_code": ["No such customer."]})
        return Response(
            {"id": placed.order_id, "sms": placed.sms_id, "created_at": placed.created_at},
            status=201,
        )


def orders(request: HttpRequest) -> JsonResponse:
    """The same-data ceiling of the order list: the same 50 newest orders with their customer
    and their messages joined (the same JSON subquery), one `.values()` query, `JsonResponse`.
    No authentication, scopes, filters, cursor or representation rules: what the list costs
    beyond this is the API's own work."""
    rows = list(order_rows().order_by("-created_at", "-id")[:50])
    return JsonResponse({"results": rows})
