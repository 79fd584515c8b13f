"""Reads of the SMS outbox for the FHIR facade (fhir app): criteria as Q objects the caller
combines, and a page function that owns ordering and keyset paging.

`notification_list` is the one place that reads an order's messages: each outbox row is one
message, whatever its order, so several messages per order need no change here beyond the
columns they add.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet

from customers.selectors import customers_with_exact_code
from notifications.models import SmsNotification

# What a Communication shows. The phone number is not among them: a Communication names its
# recipient as the Patient.
_REPRESENTED = (
    "id",
    "order_id",
    "message",
    "status",
    "last_error",
    "created_at",
    "updated_at",
    "sent_at",
    "delivered_at",
    "order__id",
    "order__customer_id",
    "order__customer__id",
    "order__customer__code",
)


def notification_list() -> QuerySet[SmsNotification]:
    """Messages with the order and customer their references need: one query a page."""
    return SmsNotification.objects.select_related("order__customer").only(*_REPRESENTED)


def notification_pk_in(pks: Collection[int]) -> Q:
    return Q(pk__in=pks)


def notification_order_in(order_pks: Collection[int]) -> Q:
    return Q(order_id__in=order_pks)


def notification_customer_code_is(code: str) -> Q:
    """Messages to the customer whose code is exactly `code`."""
    return Q(order__customer__in=customers_with_exact_code(code))


def notification_status_in(statuses: Collection[str]) -> Q:
    return Q(status__in=statuses)


def notification_page(*, where: Q, after_pk: int | None, limit: int) -> list[SmsNotification]:
    """Up to `limit` messages matching `where`, newest first by id, after the message
    `after_pk`: keyset paging on the primary key. One query."""
    notifications = notification_list().filter(where)
    if after_pk is not None:
        notifications = notifications.filter(pk__lt=after_pk)
    return list(notifications.order_by("-pk")[:limit])


def notification_get(pk: int) -> SmsNotification | None:
    return notification_list().filter(pk=pk).first()
