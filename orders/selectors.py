from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypedDict, TypeVar, cast

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from config.queries import between, compiled_sql, instance_from_row
from customers.models import Customer
from customers.selectors import (
    customer_codes_by_id,
    customers_with_code,
    customers_with_exact_code,
    folded_code,
)
from notifications.selectors import messages_of_order, order_sms_history, with_notifications
from orders.models import Order, OrderStatus

# An order as a model instance, or as a plain row of `order_rows()`.
_Row = TypeVar("_Row")

# The order's own columns its representation shows, and no more: loading (above all,
# parsing the timestamps of) the rest of three joined rows cost a fifth of a list request's
# time. Read as model fields (`order_list`) and as plain rows (`order_rows`).
ORDER_COLUMNS = ("id", "item", "amount", "physician_name", "status", "created_at", "updated_at")
_REPRESENTED = (
    *ORDER_COLUMNS,
    "customer_id",
    "customer__id",
    "customer__code",
    "customer__name",
)


def order_list() -> QuerySet[Order]:
    """Orders with what their representation needs joined in (the customer, each SMS), so a
    page of any size costs one query."""
    orders = with_notifications(Order.objects.select_related("customer"))
    return orders.only(*_REPRESENTED)


def order_rows() -> QuerySet[Order, Any]:
    """The columns of `order_list()` as plain rows (`.values()`), the customer's code and name
    and the JSON array of messages among them: a page of the list without a model instance
    per order and per customer. One query, as `order_list()`."""
    return Order.objects.values(
        *ORDER_COLUMNS,
        customer_code=F("customer__code"),
        customer_name=F("customer__name"),
        messages=messages_of_order("pk"),
    )


def order_row_page(
    *, where: Q, after: tuple[datetime, int] | None, limit: int
) -> list[dict[str, Any]]:
    """Rows of `order_rows()` (customer and messages joined in) matching `where`, newest
    first, a keyset page at a time (`_newest_first`): the front desk's order lists, which
    show a page of 50 within 1.5x the REST list's time by reading the same plain rows."""
    return _newest_first(order_rows().filter(where), after=after, limit=limit)


def order_customer_is(customer: Customer) -> Q:
    return Q(customer=customer)


def order_customer_code_matches(code: str) -> Q:
    """Orders of the customer whose code is `code` in any case, as the REST API filters."""
    return Q(customer__in=customers_with_code(code))


def customer_for_new_order(code: str) -> tuple[Customer, int] | None:
    """The customer `customers_with_code` finds, and a new order's id from the orders' own
    sequence, in one query; None, and no id taken, if nobody has the code. PostgreSQL only.

    Placing an order by code needs both before it writes (the patient's SMS quotes the
    order's id): one round trip rather than two (`orders.services.place_order_by_code`).
    """
    folded = folded_code(code)
    if folded is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_customer_for_new_order_sql(), [folded])
        row = cursor.fetchone()
    if row is None:
        return None
    *customer, order_id = row
    return instance_from_row(Customer, tuple(customer), only=_NEW_ORDER_NEEDS), order_id


# What placing an order and answering with it read of the customer (the SMS: name, number,
# language; the answer: code, name). The rest, three timestamps among it, is deferred.
_NEW_ORDER_NEEDS = ("code", "name", "contact_number", "preferred_language")


def next_order_id() -> int:
    """A new order's id from the orders' own sequence (PostgreSQL), taken before the order is
    written: the patient's SMS quotes it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_next_order_id()}")
        (order_id,) = cursor.fetchone()
    return int(order_id)


def _next_order_id() -> str:
    return f"nextval(pg_get_serial_sequence('{Order._meta.db_table}', 'id'))"


@cache
def _customer_for_new_order_sql() -> str:
    # Compiled once, as `customer_get_by_code`'s: every order placed by code runs it.
    customer = customers_with_code("code").only(*_NEW_ORDER_NEEDS).order_by("pk")
    next_id = RawSQL(_next_order_id(), ())  # noqa: S611 (a table name, no input)
    return compiled_sql(customer.annotate(next_order_id=next_id)[:1], params=("code",))


def order_get(pk: int) -> Order | None:
    return order_list().filter(pk=pk).first()


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    by: User | None
    changes: list[FieldChange]


_ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
# What the audit trail reports; bookkeeping columns are left out. The customer is shown by
# its code, as the API names customers everywhere, never by its internal key.
_AUDITED_FIELDS = ("customer", "item", "amount", "physician_name", "status")


def _plain(value: Any) -> Any:
    # Money stays exact: "50.00", as the API writes amounts, never a float.
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def order_history(*, order: Order) -> list[HistoryEntry]:
    """The order's audit trail, oldest first: who did what, when, and which fields changed
    (on creation, every field's first value), with the status changes of its SMS."""
    history = order.history.select_related("history_user__identity")
    records = list(history.order_by("history_date", "history_id"))
    codes = customer_codes_by_id(record.customer_id for record in records)

    def change(field: str, old: Any, new: Any) -> FieldChange:
        if field == "customer":
            return FieldChange("customer_code", codes.get(old), codes.get(new))
        return FieldChange(field, _plain(old), _plain(new))

    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                change(f, None, getattr(record, f"{f}_id" if f == "customer" else f))
                for f in _AUDITED_FIELDS
            ]
        else:
            changes = [
                change(delta.field, delta.old, delta.new)
                for delta in record.diff_against(previous, included_fields=_AUDITED_FIELDS).changes
            ]
        entries.append(
            HistoryEntry(
                at=record.history_date,
                action=_ACTIONS[record.history_type],
                by=record.history_user,
                changes=changes,
            )
        )
        previous = record
    # The order's SMS: each status change of each message (queued, sent, delivered, failed,
    # suppressed...), by whoever asked for it (a resend) or nobody (the worker, the gateway).
    for sms in order_sms_history(order=order):
        field = f"sms.{sms.kind}"
        changes = [FieldChange(f"{field}.status", sms.old, sms.new)]
        if sms.note:
            changes.append(FieldChange(f"{field}.note", None, sms.note))
        entries.append(HistoryEntry(at=sms.at, action="sms", by=sms.by, changes=changes))
    # Stable: entries of the same instant keep their order.
    entries.sort(key=lambda entry: entry.at)
    return entries


# --- Reads for the FHIR facade (fhir app): criteria as Q objects the caller combines, page
# functions that own ordering and keyset paging, and the audit trail's versions. ---


class AuditedOrder(TypedDict):
    """An order as the FHIR facade reads it (a plain row, `.values()`): what a
    MedicationRequest or MedicationDispense shows (no SMS; of the customer only the code its
    Patient reference is made of) and its audit trail's latest entry. A page of 50 built from
    model instances spent a fifth of its time making them."""

    id: int
    customer_id: int
    customer_code: str
    item: str
    amount: Decimal
    physician_name: str
    status: str
    created_at: datetime
    # The latest audit-trail entry's history id and when it was made (`order_list_audited`),
    # or the entry's own for a version of the order (`order_at_version`).
    audit_version: int | None
    audit_at: datetime


class FulfilledOrder(AuditedOrder):
    # When the audit trail first saw the order fulfilled (`fulfilled_order_list_audited`).
    fulfilled_at: datetime


_AUDITED_ORDER = ("id", "customer_id", "item", "amount", "physician_name", "status", "created_at")


def _latest_history() -> QuerySet[Any]:
    return Order.history.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id")


def order_list_audited() -> QuerySet[Order]:
    """Orders with their audit trail's latest entry: `audit_version` (its history id) and
    `audit_at` (when). An order saved before the audit trail existed has no entry: no version,
    and `updated_at` as its time. Criteria (`order_audited_between`) filter on these; the
    page functions read rows of `AuditedOrder`."""
    return Order.objects.annotate(
        audit_version=Subquery(_latest_history().values("history_id")[:1]),
        audit_at=Coalesce(Subquery(_latest_history().values("history_date")[:1]), F("updated_at")),
    )


def fulfilled_order_list_audited() -> QuerySet[Order]:
    """Fulfilled orders, as `order_list_audited`, with `fulfilled_at`: when the audit trail
    first saw the order fulfilled. Fulfilment is final (nothing about a fulfilled order changes
    afterwards), so for an order fulfilled before the audit trail existed, `updated_at` is that
    time."""
    first_fulfilled = Order.history.filter(
        id=OuterRef("pk"), status=OrderStatus.FULFILLED
    ).order_by("history_date", "history_id")
    return (
        order_list_audited()
        .filter(status=OrderStatus.FULFILLED)
        .annotate(
            fulfilled_at=Coalesce(
                Subquery(first_fulfilled.values("history_date")[:1]), F("updated_at")
            )
        )
    )


def order_pk_in(pks: Collection[int]) -> Q:
    return Q(pk__in=pks)


def order_customer_code_is(code: str) -> Q:
    """Orders of the customer whose code is exactly `code`."""
    return Q(customer__in=customers_with_exact_code(code))


def order_status_in(statuses: Collection[str]) -> Q:
    return Q(status__in=statuses)


def order_created_between(start: datetime | None, end: datetime | None) -> Q:
    return between("created_at", start, end)


def order_audited_between(start: datetime | None, end: datetime | None) -> Q:
    """Last changed (by the audit trail) within [start, end)."""
    return between("audit_at", start, end)


def order_fulfilled_between(start: datetime | None, end: datetime | None) -> Q:
    """Fulfilled within [start, end); for `fulfilled_order_list_audited` only."""
    return between("fulfilled_at", start, end)


def _newest_first(
    orders: QuerySet[Order, _Row], *, after: tuple[datetime, int] | None, limit: int
) -> list[_Row]:
    """Up to `limit` of `orders`, newest first, after the order whose (created_at, id) is
    `after`: keyset paging. `created_at <= t` leads the condition so the database starts its
    index range scan at the cursor, and a deep page costs what the first one does. One query."""
    if after is not None:
        created_at, pk = after
        orders = orders.filter(
            Q(created_at__lte=created_at) & (Q(created_at__lt=created_at) | Q(pk__lt=pk))
        )
    return list(orders.order_by("-created_at", "-pk")[:limit])


def _audited_rows(orders: QuerySet[Order], *extra: str) -> QuerySet[Order, Any]:
    return orders.values(
        *_AUDITED_ORDER, "audit_version", "audit_at", *extra, customer_code=F("customer__code")
    )


def order_page(*, where: Q, after: tuple[datetime, int] | None, limit: int) -> list[AuditedOrder]:
    """Orders matching `where`, newest first, a keyset page at a time (`_newest_first`)."""
    orders = _audited_rows(order_list_audited().filter(where))
    return cast(list[AuditedOrder], _newest_first(orders, after=after, limit=limit))


def fulfilled_order_page(
    *, where: Q, after: tuple[datetime, int] | None, limit: int
) -> list[FulfilledOrder]:
    """Fulfilled orders matching `where`, newest first, a keyset page at a time."""
    orders = _audited_rows(fulfilled_order_list_audited().filter(where), "fulfilled_at")
    return cast(list[FulfilledOrder], _newest_first(orders, after=after, limit=limit))


def order_audited(pk: int) -> AuditedOrder | None:
    row = _audited_rows(order_list_audited().filter(pk=pk)).first()
    return cast(AuditedOrder | None, row)


def fulfilled_order_audited(pk: int) -> FulfilledOrder | None:
    row = _audited_rows(fulfilled_order_list_audited().filter(pk=pk), "fulfilled_at").first()
    return cast(FulfilledOrder | None, row)


def order_at_version(*, order_pk: int, history_id: int) -> AuditedOrder | None:
    """The order as one entry of its audit trail saw it (that entry its version), with its
    customer's code as it is now (a Patient reference names today's code), or None."""
    row = (
        Order.history.filter(id=order_pk, history_id=history_id)
        .values(
            *_AUDITED_ORDER,
            audit_version=F("history_id"),
            audit_at=F("history_date"),
            customer_code=F("customer__code"),
        )
        .first()
    )
    return cast(AuditedOrder | None, row)
