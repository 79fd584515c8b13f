"""What placing an order wrote, for tests that compare two ways of placing one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.models import SmsNotification, SmsStatusChange
from orders.models import Order

# What differs between any two orders placed one after the other.
OWN = {"id", "order_id", "history_id", "created_at", "updated_at", "history_date"}
OWN_SMS = OWN | {"next_attempt_at", "message"}


def written(order_id: int) -> dict[str, Any]:
    """The rows placing `order_id` wrote, less what is the order's own."""

    def common(row: Mapping[str, Any], own: set[str]) -> dict[str, Any]:
        return {column: value for column, value in row.items() if column not in own}

    messages = SmsNotification.objects.filter(order_id=order_id)
    return {
        "order": [common(row, OWN) for row in Order.objects.filter(pk=order_id).values()],
        "audit": [common(row, OWN) for row in Order.history.filter(id=order_id).values()],
        "sms": [common(row, OWN_SMS) for row in messages.values()],
        "sms status changes": SmsStatusChange.objects.filter(notification__in=messages).count(),
    }
