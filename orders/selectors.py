from __future__ import annotations

from django.db.models import QuerySet

from orders.models import Order


def order_list() -> QuerySet[Order]:
    """Orders with what their representation needs joined in, so a page of any size costs
    the same number of queries."""
    return Order.objects.select_related("customer", "sms")


def order_get(pk: int) -> Order | None:
    return order_list().filter(pk=pk).first()
