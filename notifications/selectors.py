from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist

from notifications.models import SmsNotification

if TYPE_CHECKING:
    from orders.models import Order


def order_sms(order: Order) -> SmsNotification | None:
    """The order's SMS, or None for orders placed before SMS existed. Free when the order came
    from a query that `select_related("sms")`."""
    try:
        return order.sms
    except ObjectDoesNotExist:
        return None
