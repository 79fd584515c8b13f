"""The rows of the desk's order lists, and the SMS badge, written out in Python.

A page of 50 orders must render within 1.5x the time the REST API takes to list them. In a
template, every variable lookup, `{% url %}`, translation and date filter, 50 times over,
cost more than the query itself; here each row is written out from the same plain rows the
REST list reads (no model instances), with its labels translated once a page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from html import escape
from typing import Any

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from desk.templatetags.desk import order_status, sms_kind, sms_status
from notifications.models import TO_DO
from notifications.selectors import NotificationSummary, newest_of, notifications_of
from orders.models import Order


@dataclass(frozen=True)
class SmsBadge:
    status: str
    label: str
    kind: str
    # Where htmx asks again while the message is on its way; empty once it is final.
    refresh_url: str


class _Labels(dict[str, str]):
    """Translated labels, each translated once per page rather than once per row."""

    def __init__(self, translate: Callable[[str], Any]) -> None:
        super().__init__()
        self.translate = translate

    def __missing__(self, key: str) -> str:
        self[key] = label = str(self.translate(key))
        return label


def sms_badge(order: Order) -> SmsBadge | None:
    """The badge of the order's newest message (from the order's own query)."""
    messages = notifications_of(order)
    return _sms_badge(
        order.pk,
        messages[-1] if messages else None,
        orders_url=reverse("desk:orders"),
        labels=_Labels(_badge_label),
    )


def _sms_badge(
    pk: int, latest: NotificationSummary | None, *, orders_url: str, labels: _Labels
) -> SmsBadge | None:
    if latest is None:
        return None
    in_flight = latest["status"] in TO_DO
    return SmsBadge(
        status=latest["status"],
        label=labels[f"status:{latest['status']}"],
        kind=labels[f"kind:{latest['kind']}"],
        refresh_url=f"{orders_url}{pk}/sms/?badge=1" if in_flight else "",
    )


def _badge_label(key: str) -> Any:
    what, _sep, value = key.partition(":")
    return sms_status(value) if what == "status" else sms_kind(value)


def badge_html(badge: SmsBadge | None, *, refresh_seconds: int) -> SafeString:
    """The SMS badge; while the message is on its way, htmx replaces it with a fresh one every
    `refresh_seconds`."""
    if badge is None:
        return format_html('<span class="badge">{}</span>', _("None"))
    return mark_safe(_badge(badge, refresh_seconds))  # noqa: S308 (every value escaped)


def _badge(badge: SmsBadge, refresh_seconds: int) -> str:
    opening, closing = _badge_ends(badge.status, badge.kind, badge.label)
    return opening + _refresh(badge, refresh_seconds) + closing


@functools.lru_cache(maxsize=64)
def _badge_ends(status: str, kind: str, label: str) -> tuple[str, str]:
    """The badge's markup before and after its refresh attributes, which alone name the
    order: the same for every message of one status and kind, so escaped once per process."""
    return (
        f'<span class="badge badge-{_e(status)}"',
        f' title="{_e(kind)}">{_e(label)}</span>',
    )


def _refresh(badge: SmsBadge, refresh_seconds: int) -> str:
    if not badge.refresh_url:
        return ""
    return (
        f' hx-get="{_e(badge.refresh_url)}" hx-trigger="every {int(refresh_seconds)}s"'
        ' hx-swap="outerHTML"'
    )


@functools.lru_cache(maxsize=16)
def _column_labels(language: str | None) -> dict[str, str]:
    """The table's column names in `language` (the active one), escaped: the same for every
    page, so translated once per process."""
    return {
        name: _e(str(text))
        for name, text in {
            "order": _("Order"),
            "patient": _("Patient"),
            "item": _("Item"),
            "amount": _("Amount (KES)"),
            "physician": _("Physician"),
            "status": _("Status"),
            "sms": _("SMS"),
            "placed": _("Placed (UTC)"),
        }.items()
    }


def rows_html(
    orders: list[dict[str, Any]], *, hide_patient: bool, refresh_seconds: int
) -> SafeString:
    """The <tr>s of an order table (desk/_order_table.html has its head), from rows of
    `orders.selectors.order_rows()`. Each cell names its column in `data-label`, which a
    phone's layout shows beside the value.

    Written with the standard library's `html.escape`: Django's `format_html` and `escape`
    wrap each call for lazy strings, and that alone doubled a page of 50 orders. What people
    typed is escaped in every row; labels once a page; numbers and times need none."""
    orders_url = reverse("desk:orders")
    base = _e(orders_url)
    label = _column_labels(get_language())
    statuses = _Labels(lambda status: _e(str(order_status(status))))
    badge_labels = _Labels(_badge_label)
    none = str(badge_html(None, refresh_seconds=refresh_seconds))
    lines = []
    for order in orders:
        pk = int(order["id"])
        sms = _sms_badge(
            pk, newest_of(order["messages"]), orders_url=orders_url, labels=badge_labels
        )
        badge = none if sms is None else _badge(sms, refresh_seconds)
        patient = (
            ""
            if hide_patient
            else f'<td data-label="{label["patient"]}">{_e(order["customer_name"])} '
            f"<small>{_e(order['customer_code'])}</small></td>"
        )
        # UTC, as stored and as the API writes it: one clock for everybody at the desk.
        created = order["created_at"].astimezone(UTC)
        lines.append(
            f'<tr><td data-label="{label["order"]}"><a href="{base}{pk}/">#{pk}</a></td>'
            f"{patient}"
            f'<td data-label="{label["item"]}">{_e(order["item"])}</td>'
            f'<td data-label="{label["amount"]}" class="number">{order["amount"]:.2f}</td>'
            f'<td data-label="{label["physician"]}">{_e(order["physician_name"])}</td>'
            f'<td data-label="{label["status"]}">{statuses[order["status"]]}</td>'
            f'<td data-label="{label["sms"]}">{badge}</td>'
            f'<td data-label="{label["placed"]}"><time datetime="{created.isoformat()}">'
            f"{created:%Y-%m-%d %H:%M}</time></td></tr>"
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped)


def _e(value: str) -> str:
    return escape(value, quote=True)
