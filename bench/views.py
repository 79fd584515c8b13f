"""The two ceilings the service is measured against, served by the same gunicorn, settings
and middleware as the API."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bench.models import BaselineRow

CONSTANT = {"id": 1, "status": "placed", "item": "Paracetamol", "amount": "50.00"}


def constant(request: HttpRequest) -> JsonResponse:
    """The framework ceiling: Django answering with a constant JSON body."""
    return JsonResponse(CONSTANT)


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    """The insert ceiling: one ORM insert per request."""
    row = BaselineRow.objects.create(payload="x")
    return JsonResponse({"id": row.pk}, status=201)
