"""The ceilings the service is measured against, served by the same gunicorn, settings
and middleware as the API."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bench.models import BaselineRow
from orders.selectors import order_rows

CONSTANT = {"id": 1, "status": "placed", "item": "Paracetamol", "amount": "50.00"}


def constant(request: HttpRequest) -> JsonResponse:
    """The framework ceiling: Django answering with a constant JSON body."""
    return JsonResponse(CONSTANT)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    """The insert ceiling: one ORM insert per request."""
    row = BaselineRow.objects.create(payload="x")
    return JsonResponse({"id": row.pk}, status=201)


def orders(request: HttpRequest) -> JsonResponse:
    """The same-data ceiling of the order list: the same 50 newest orders with their customer
    and their messages joined (the same JSON subquery), one `.values()` query, `JsonResponse`.
    No authentication, scopes, filters, cursor or representation rules: what the list costs
    beyond this is the API's own work."""
    rows = list(order_rows().order_by("-created_at", "-id")[:50])
    return JsonResponse({"results": rows})
