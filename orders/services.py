from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from config.audit import creation_record
from config.exceptions import Conflict, DomainError
from customers.models import Customer
from customers.selectors import customer_get_by_code
from customers.services import hold_customer, hold_customer_sql
from notifications.models import SmsNotification
from notifications.selectors import remember_notifications
from notifications.services import order_notification, queue_order_notification
from orders.models import ALLOWED_TRANSITIONS, Order
from orders.selectors import customer_for_new_order, next_order_id


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


def place_order(
    *,
    customer: Customer,
    item: str,
    amount: Decimal,
    physician_name: str,
    created_by: User | None = None,
) -> Order:
    """Place an order: the order, its audit-trail row and the patient's SMS in the outbox,
    committed together or not at all, with the customer held against a concurrent delete."""
    place = _place_in_one_statement if connection.vendor == "postgresql" else _place_with_the_orm
    return place(
        customer=customer,
        item=item,
        amount=amount,
        physician_name=physician_name,
        created_by=created_by,
    )


def place_order_by_code(
    *,
    customer_code: str,
    item: str,
    amount: Decimal,
    physician_name: str,
    created_by: User | None = None,
) -> Order:
    """`place_order` for the customer with `customer_code` (in any case, as
    `customer_get_by_code` finds them); UnknownCustomer if there is none.

    On PostgreSQL the customer is read with the new order's id, in one round trip
    (`customer_for_new_order`): with the one statement that writes the rows, a plain create
    over the API costs two.
    """
    if connection.vendor != "postgresql":
        customer = customer_get_by_code(customer_code)
        if customer is None:
            raise UnknownCustomer(f"No customer with code '{customer_code}'.")
        return place_order(
            customer=customer,
            item=item,
            amount=amount,
            physician_name=physician_name,
            created_by=created_by,
        )
    found = customer_for_new_order(customer_code)
    if found is None:
        raise UnknownCustomer(f"No customer with code '{customer_code}'.")
    customer, order_id = found
    return _place_in_one_statement(
        customer=customer,
        item=item,
        amount=amount,
        physician_name=physician_name,
        created_by=created_by,
        order_id=order_id,
    )


# No savepoint when called inside another transaction (an Idempotency-Key's): two round trips
# less, and nothing inside that transaction catches this function's errors and carries on,
# so the whole of it rolls back with them, as it should.
@transaction.atomic(savepoint=False)
def _place_with_the_orm(
    *, customer: Customer, item: str, amount: Decimal, physician_name: str, created_by: User | None
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


def _place_in_one_statement(
    *,
    customer: Customer,
    item: str,
    amount: Decimal,
    physician_name: str,
    created_by: User | None,
    order_id: int | None = None,
) -> Order:
    """`_place_with_the_orm` on PostgreSQL, in two round trips rather than six (BEGIN, the
    hold, three inserts, COMMIT): the order's id first (unless the caller took it with the
    customer), which its SMS quotes, then the three rows in one statement, which is its own
    transaction. Issue 14: placing an order is the API's busiest write, and its round trips
    were most of its cost.

    The rows are the same model instances, built as `save()` would see them (defaults,
    `auto_now`, the audit row as simple-history builds it), written with the columns the
    models declare; `tests/orders/test_placing.py` holds them equal to the ORM's rows.
    """
    if order_id is None:
        order_id = next_order_id()
    now = timezone.now()
    order = Order(
        id=order_id,
        customer=customer,
        item=item,
        amount=amount,
        physician_name=physician_name,
        created_by=created_by,
        created_at=now,
    )
    notification = order_notification(order=order)
    record = creation_record(order, at=now)
    with connection.cursor() as cursor:
        cursor.execute(
            _placing_sql(),
            [customer.pk, *_values(order), *_values(record), *_values(notification)],
        )
        written = cursor.fetchone()
    if written is None:
        # Deleted between validation and now: the customer's row was not there to hold.
        raise UnknownCustomer(f"No customer with code '{customer.code}'.")
    notification.pk = written[0]
    for instance in (order, notification):
        instance._state.adding = False
        instance._state.db = connection.alias
    remember_notifications(order, [notification])
    return order


@cache
def _written_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    """Every column of `model` but a key the database numbers itself (the audit row's and
    the SMS's; the order's is taken beforehand)."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if model is Order or not (field.primary_key and field.db_returning)
    )


def _values(instance: models.Model) -> list[Any]:
    # As Django's insert compiler takes them: `pre_save` fills in `auto_now`. (The connection
    # itself, not `django.db.connection`, which looks it up again on every use.)
    database = connections[DEFAULT_DB_ALIAS]
    return [
        field.get_db_prep_save(field.pre_save(instance, True), database)
        for field in _written_fields(type(instance))
    ]


@cache
def _placing_sql() -> str:
    """The customer held (FOR KEY SHARE, as `hold_customer`), then the order, its audit row
    and its SMS, each written only if the row before it was: no customer, no rows."""
    quote = connection.ops.quote_name

    def insert(model: type[models.Model], source: str) -> str:
        fields = _written_fields(model)
        names = [field.column for field in fields]
        assert None not in names  # concrete fields all have one
        columns = ", ".join(quote(name) for name in names if name)
        values = ", ".join(["%s"] * len(fields))
        table = quote(model._meta.db_table)
        # Names from the models, never input: the values are all parameters.
        return f"INSERT INTO {table} ({columns}) SELECT {values} FROM {source}"  # noqa: S608

    return (
        f"WITH held AS ({hold_customer_sql()}), "
        f"placed AS ({insert(Order, 'held')} RETURNING 1), "
        f"audited AS ({insert(Order.history.model, 'placed')}) "
        f"{insert(SmsNotification, 'placed')} RETURNING {quote('id')}"
    )


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
