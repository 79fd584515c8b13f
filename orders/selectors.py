from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from customers.selectors import customer_codes_by_id
from orders.models import Order

# The columns an order's representation shows, and no more: loading (above all, parsing the
# timestamps of) the rest of three joined rows cost a fifth of a list request's time.
_REPRESENTED = (
    "id",
    "customer_id",
    "item",
    "amount",
    "physician_name",
    "status",
    "created_at",
    "updated_at",
    "customer__id",
    "customer__code",
    "customer__name",
    "sms__id",
    "sms__order_id",
    "sms__status",
    "sms__attempts",
    "sms__last_error",
    "sms__provider_message_id",
    "sms__updated_at",
)


def order_list() -> QuerySet[Order]:
    """Orders with what their representation needs joined in, so a page of any size costs
    the same number of queries."""
    return Order.objects.select_related("customer", "sms").only(*_REPRESENTED)


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
    (on creation, every field's first value)."""
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
    return entries
