"""Labels and small lookups for the desk's templates, every word translatable."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.contrib.auth.models import User
from django.urls import get_script_prefix, reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from notifications.models import TO_DO
from notifications.selectors import NotificationSummary, notifications_of
from orders.models import Order

register = template.Library()


@register.simple_tag
def url_of(name: str) -> str:
    """`{% url name %}` for a URL without arguments (the header's, the forms' actions),
    reversed once per process and script prefix: a page's half-dozen reversals took a
    twentieth of the orders page's time."""
    return _reversed(name, get_script_prefix())


@functools.lru_cache(maxsize=64)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


_SMS_STATUS = {
    "queued": _("Queued"),
    "sending": _("Sending"),
    "sent": _("Sent"),
    "delivered": _("Delivered"),
    "failed": _("Failed"),
    "suppressed": _("Not sent: opted out"),
}
_SMS_KIND = {
    "order_received": _("Order received"),
    "order_ready": _("Order ready"),
    "order_cancelled": _("Order cancelled"),
}
_ORDER_STATUS = {
    "placed": _("Placed"),
    "fulfilled": _("Fulfilled"),
    "cancelled": _("Cancelled"),
}
_ACTION = {
    "created": _("Created"),
    "updated": _("Changed"),
    "deleted": _("Deleted"),
    "sms": _("SMS"),
}
_LANGUAGE = {"en": _("English"), "sw": _("Kiswahili")}
_FIELD = {
    "customer_code": _("Patient"),
    "item": _("Item"),
    "amount": _("Amount (KES)"),
    "physician_name": _("Physician name"),
    "status": _("Status"),
}


@register.filter
def sms_status(value: str) -> Any:
    return _SMS_STATUS.get(value, value)


@register.filter
def sms_kind(value: str) -> Any:
    return _SMS_KIND.get(value, value)


@register.filter
def order_status(value: str) -> Any:
    return _ORDER_STATUS.get(value, value)


@register.filter
def history_action(value: str) -> Any:
    return _ACTION.get(value, value)


@register.filter
def language(value: str) -> Any:
    return _LANGUAGE.get(value, value)


@register.filter
def in_flight(status: str) -> bool:
    """Whether a message is still on its way (its badge keeps refreshing)."""
    return status in TO_DO


@register.filter
def latest_sms(order: Order) -> NotificationSummary | None:
    """The order's newest message, from the order's own query (no query of its own)."""
    found = notifications_of(order)
    return found[-1] if found else None


@register.filter
def person(user: User | None) -> str:
    if user is None:
        return str(_("the system"))
    return user.get_full_name() or user.email or user.get_username()


@register.filter
def change_field(name: str) -> Any:
    """A field of the audit trail (orders.selectors.order_history) in words: `item`, or
    `sms.order_ready.status` for a message's status."""
    if name.startswith("sms."):
        _sms, kind, what = [*name.split(".", 2), "", ""][:3]
        label = _SMS_KIND.get(kind, kind)
        if what == "status":
            return format_lazy("{} ({})", _("SMS"), label)
        return format_lazy("{} ({}): {}", _("SMS"), label, _("note"))
    return _FIELD.get(name, name)


@register.filter
def change_value(value: Any, name: str) -> Any:
    """A value of the audit trail in words: statuses by their labels, the rest as they are."""
    if name == "status":
        return _ORDER_STATUS.get(value, value)
    if name.startswith("sms.") and name.endswith(".status"):
        return _SMS_STATUS.get(value, value)
    return value
