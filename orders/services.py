from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from config.exceptions import Conflict, DomainError
from customers.models import Customer
from notifications.services import queue_order_notification
from orders.models import ALLOWED_TRANSITIONS, Order, OrderStatus


class UnknownCustomer(DomainError):
    field = "customer_code"


class InvalidStatusTransition(Conflict):
    field = "status"


class OrderNotEditable(Conflict):
    pass


@transaction.atomic
def place_order(
    *,
    customer: Customer,
    item: str,
    amount: Decimal,
    physician_name: str,
    created_by: User | None = None,
) -> Order:
    order = Order(
        customer=customer,
        item=item,
        amount=amount,
        physician_name=physician_name,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        # The customer was deleted between validation and insert.
        raise UnknownCustomer(f"No customer with code '{customer.code}'.") from None
    # The outbox row commits with the order or not at all; the worker sends it later.
    queue_order_notification(order=order)
    return order


@transaction.atomic
def order_update(*, order: Order, status: str | None = None, **corrections: Any) -> Order:
    """Correct a placed order's fields and/or move it along its life cycle.

    The row is locked first, so two clerks fulfilling and cancelling the same order at once
    cannot both win.
    """
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    if corrections and order.status != OrderStatus.PLACED:
        raise OrderNotEditable(
            f"This order is {order.status}; only placed orders can be corrected."
        )
    for field, value in corrections.items():
        setattr(order, field, value)
    if status is not None and status != order.status:
        if status not in ALLOWED_TRANSITIONS[order.status]:
            raise InvalidStatusTransition(f"An order cannot go from {order.status} to {status}.")
        order.status = status
        # The patient's "ready" or "cancelled" SMS commits with the change or not at all.
        queue_order_notification(order=order)
    order.save()
    return order
