"""Writes to the SMS outbox. The order service, the worker, the API views and the admin all
come through here; nothing else changes a notification."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import status

from config.exceptions import Conflict, DomainError
from customers.phone import mask_phone_number
from notifications.backends import TransportError
from notifications.messages import render_order_confirmation
from notifications.models import TO_DO, SmsNotification, SmsStatus

if TYPE_CHECKING:
    from orders.models import Order

logger = logging.getLogger(__name__)


class NoNotification(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


class NotificationNotFailed(Conflict):
    pass


def queue_order_confirmation(*, order: Order) -> SmsNotification:
    """Add the order's confirmation SMS to the outbox. Call it inside the transaction that
    creates the order: they commit together or not at all."""
    return SmsNotification.objects.create(
        order=order,
        phone_number=order.customer.contact_number,
        message=render_order_confirmation(order),
    )


@transaction.atomic
def resend_order_confirmation(*, order: Order) -> SmsNotification:
    """Queue a new attempt for an order's failed SMS.

    The same row goes back to `queued` with its attempts reset, the number and text taken
    afresh from the order (the usual fix for a failed SMS is a corrected phone number), and
    the old provider message id cleared, so a late report about the failed message cannot touch
    the new one.
    """
    try:
        notification = SmsNotification.objects.select_for_update().get(order=order)
    except SmsNotification.DoesNotExist:
        raise NoNotification("This order has no SMS notification.") from None
    if notification.status != SmsStatus.FAILED:
        raise NotificationNotFailed(
            f"This SMS is {notification.status}; only a failed SMS can be sent again."
        )
    notification.phone_number = order.customer.contact_number
    notification.message = render_order_confirmation(order)
    notification.status = SmsStatus.QUEUED
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.locked_until = None
    notification.lease_token = None
    notification.last_error = ""
    notification.provider_message_id = ""
    notification.provider_status = ""
    notification.sent_at = None
    notification.delivered_at = None
    notification.save()
    logger.info("sms_requeued notification=%s order=%s", notification.pk, order.pk)
    return notification


@dataclass(frozen=True)
class Claim:
    """A notification one worker owns until its lease runs out."""

    notification_id: int
    token: uuid.UUID
    attempt: int
    phone_number: str
    message: str


def claim_due_notifications(*, limit: int, now: datetime | None = None) -> list[Claim]:
    """Take up to `limit` notifications that are due, for this worker alone.

    A due row is queued and past its `next_attempt_at`, or `sending` with an expired lease (its
    worker died or hung). Claiming sets `next_attempt_at` to the end of the lease, so both
    cases are one condition on one partial index.

    PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` lets concurrent workers pick disjoint rows
    without waiting on each other. SQLite has no row locks (Django drops the clause); there
    the conditional UPDATE (`... WHERE status IN (...) AND next_attempt_at <= now`) decides:
    a row another worker claimed in between no longer matches, and we only keep the rows that
    carry our fresh lease token. On PostgreSQL the repeated condition is redundant (the rows
    are locked) and costs nothing.
    """
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.SMS_LEASE_SECONDS)
    token = uuid.uuid4()
    due = Q(status__in=TO_DO, next_attempt_at__lte=now)
    with transaction.atomic():
        candidates = list(
            SmsNotification.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not candidates:
            return []
        SmsNotification.objects.filter(due, pk__in=candidates).update(
            status=SmsStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=lease_until,
            locked_until=lease_until,
            lease_token=token,
            updated_at=now,
        )
        rows = SmsNotification.objects.filter(lease_token=token).values_list(
            "pk", "attempts", "phone_number", "message"
        )
        return [
            Claim(notification_id=pk, token=token, attempt=n, phone_number=to, message=text)
            for pk, n, to, text in rows
        ]


def _owned(claim: Claim) -> Q:
    # Only the worker still holding the lease may record the outcome: a worker that hung past
    # its lease must not overwrite the result of the one that took over.
    return Q(pk=claim.notification_id, status=SmsStatus.SENDING, lease_token=claim.token)


def record_sent(*, claim: Claim, provider_message_id: str) -> bool:
    now = timezone.now()
    updated = SmsNotification.objects.filter(_owned(claim)).update(
        status=SmsStatus.SENT,
        provider_message_id=provider_message_id,
        last_error="",
        locked_until=None,
        lease_token=None,
        sent_at=now,
        updated_at=now,
    )
    logger.info(
        "sms_sent notification=%s to=%s attempt=%s message_id=%s recorded=%s",
        claim.notification_id,
        mask_phone_number(claim.phone_number),
        claim.attempt,
        provider_message_id,
        bool(updated),
    )
    return bool(updated)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, then a random point in its
    upper half, so workers that failed together do not all come back at the same instant."""
    ceiling = min(
        settings.SMS_BACKOFF_MAX_SECONDS, settings.SMS_BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret


def record_failure(*, claim: Claim, error: TransportError) -> bool:
    """Schedule another attempt, or give up: at once for a permanent error, after
    `SMS_MAX_ATTEMPTS` for a transient one."""
    now = timezone.now()
    give_up = error.permanent or claim.attempt >= settings.SMS_MAX_ATTEMPTS
    if give_up:
        reason = (
            error.message
            if error.permanent
            else f"{error.message} (gave up after {claim.attempt} attempts)"
        )
        changes: dict[str, object] = {"status": SmsStatus.FAILED, "last_error": reason}
    else:
        changes = {
            "status": SmsStatus.QUEUED,
            "last_error": error.message,
            "next_attempt_at": now + timedelta(seconds=retry_delay(claim.attempt)),
        }
    updated = SmsNotification.objects.filter(_owned(claim)).update(
        locked_until=None, lease_token=None, updated_at=now, **changes
    )
    logger.warning(
        "sms_failed notification=%s to=%s attempt=%s permanent=%s final=%s error=%r",
        claim.notification_id,
        mask_phone_number(claim.phone_number),
        claim.attempt,
        error.permanent,
        give_up,
        error.message,
    )
    return bool(updated)


# Africa's Talking delivery report statuses.
REPORT_DELIVERED = {"Success"}
REPORT_FAILED = {"Failed", "Rejected"}


def record_delivery_report(
    *, message_id: str, report_status: str, failure_reason: str = ""
) -> bool:
    """Apply a delivery report; return whether it changed anything.

    Idempotent: each change is a conditional UPDATE from `sent`, so a repeated report, or an
    intermediate one (`Sent`, `Submitted`, `Buffered`) arriving after the final one, changes
    nothing. Reports about unknown message ids change nothing either.
    """
    if not message_id:
        return False
    now = timezone.now()
    open_rows = SmsNotification.objects.filter(
        provider_message_id=message_id, status=SmsStatus.SENT
    )
    if report_status in REPORT_DELIVERED:
        updated = open_rows.update(
            status=SmsStatus.DELIVERED,
            provider_status=report_status,
            delivered_at=now,
            updated_at=now,
        )
    elif report_status in REPORT_FAILED:
        reason = failure_reason or "no reason given"
        updated = open_rows.update(
            status=SmsStatus.FAILED,
            provider_status=report_status,
            last_error=f"Delivery {report_status.lower()}: {reason}",
            updated_at=now,
        )
    else:
        updated = open_rows.exclude(provider_status=report_status).update(
            provider_status=report_status, updated_at=now
        )
    logger.info(
        "sms_delivery_report message_id=%s status=%s applied=%s",
        message_id,
        report_status,
        bool(updated),
    )
    return bool(updated)
