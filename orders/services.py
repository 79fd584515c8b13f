from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from config.exceptions import Conflict, DomainError
from customers.models import Customer
from customers.services import hold_customer
from notifications.services import queue_order_notification
from orders.models import ALLOWED_TRANSITIONS, Order


class UnknownCustomer(DomainError):
    field = "customer_code"


class InvalidStatusTransition(Conflict):
    field = "status"


class OrderNotEditable(Conflict):
    pass


class OrderAlreadyInStatus(Conflict):
    """Asking a final order for the status it already has: the change the caller asked for was
    not theirs to make (another request made it, or it was made long ago)."""

    field = "status"


# No savepoint when called inside another transaction (an Idempotency-Key's): two round trips
# less, and nothing inside that transaction catches this function's errors and carries on,
# so the whole of it rolls back with them, as it should.
@transaction.atomic(savepoint=False)
def place_order(
    *,
    customer: Customer,
    item: str,
    amount: Decimal,
    physician_name: str,
    created_by: User | None = None,
) -> Order:
    if not hold_customer(customer=customer):
        # Deleted between validation and now.
        raise UnknownCustomer(f"No customer with code '{customer.code}'.")
    order = Order.objects.create(
        customer=customer,
        item=item,
        amount=amount,
        physician_name=physician_name,
        created_by=created_by,
    )
    # The outbox row commits with the order or not at all; the worker sends it later.
    queue_order_notification(order=order)
    return order


@transaction.atomic
def order_update(*, order: Order, status: str | None = None, **corrections: Any) -> Order:
    """Correct a placed order's fields and/or move it along its life cycle.

    The row is locked first, so two clerks fulfilling and cancelling the same order at once
    cannot both win: the second is told the order is already final (409). A request that
    changes nothing writes nothing: no audit row, no new `updated_at`.
    """
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    final = not ALLOWED_TRANSITIONS[order.status]
    if status is not None and status == order.status and final:
        raise OrderAlreadyInStatus(f"This order is already {order.status}.")
    if corrections and final:
        raise OrderNotEditable(
            f"This order is {order.status}; only placed orders can be corrected."
        )
    changed = {f: v for f, v in corrections.items() if getattr(order, f) != v}
    if status is not None and status != order.status:
        if status not in ALLOWED_TRANSITIONS[order.status]:
            raise InvalidStatusTransition(f"An order cannot go from {order.status} to {status}.")
        changed["status"] = status
    if not changed:
        return order
    for field, value in changed.items():
        setattr(order, field, value)
    order.save(update_fields=[*changed, "updated_at"])
    if "status" in changed:
        # The patient's "ready" or "cancelled" SMS commits with the change or not at all.
        queue_order_notification(order=order)
    return order
