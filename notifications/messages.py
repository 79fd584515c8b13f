"""The text of the order confirmation, from the `SMS_TEMPLATE` setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from orders.models import Order

# Non-breaking and other exotic spaces are not in the GSM 03.38 alphabet: one of them forces
# the whole message into UCS-2, which halves a segment (70 characters) and doubles the cost.
_EXOTIC_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003"), " ")


def gsm_friendly(text: str) -> str:
    return text.translate(_EXOTIC_SPACES)


def render_order_confirmation(order: Order) -> str:
    """The order confirmation for `order`'s customer. Placeholders: {customer_name}, {item},
    {amount}, {order_reference}."""
    text = settings.SMS_TEMPLATE.format(
        customer_name=order.customer.name,
        item=order.item,
        amount=f"{order.amount:.2f}",
        order_reference=order.pk,
    )
    return gsm_friendly(text).strip()
