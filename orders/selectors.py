from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet

from notifications.selectors import order_sms_history, with_notifications
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
)


def order_list() -> QuerySet[Order]:
    """Orders with what their representation needs joined in (the customer, each SMS), so a
    page of any size costs one query."""
    orders = with_notifications(Order.objects.select_related("customer"))
    return orders.only(*_REPRESENTED)


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
# What the audit trail reports; bookkeeping columns are left out.
_AUDITED_FIELDS = ("customer_id", "item", "amount", "physician_name", "status")


def _plain(value: Any) -> Any:
    # Money stays exact: "50.00", as the API writes amounts, never a float.
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def order_history(*, order: Order) -> list[HistoryEntry]:
    """The order's audit trail, oldest first: who did what, when, and which fields changed
    (on creation, every field's first value), with the status changes of its SMS."""
    history = order.history.select_related("history_user__identity")
    records = list(history.order_by("history_date", "history_id"))
    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        if previous is None:
            changes = [FieldChange(f, None, _plain(getattr(record, f))) for f in _AUDITED_FIELDS]
        else:
            changes = [
                FieldChange(change.field, _plain(change.old), _plain(change.new))
                for change in record.diff_against(previous).changes
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
    for change in order_sms_history(order=order):
        field = f"sms.{change.kind}"
        changes = [FieldChange(f"{field}.status", change.old, change.new)]
        if change.note:
            changes.append(FieldChange(f"{field}.note", None, change.note))
        entries.append(HistoryEntry(at=change.at, action="sms", by=change.by, changes=changes))
    # Stable: entries of the same instant keep their order.
    entries.sort(key=lambda entry: entry.at)
    return entries
