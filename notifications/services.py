"""Writes to the SMS outbox. The order service, the worker, the API views and the admin all
come through here; nothing else changes a notification."""

from __future__ import annotations

import logging
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import status

from config.exceptions import Conflict, DomainError
from customers.models import SmsOptOutSource
from customers.phone import InvalidPhoneNumber, mask_phone_number, normalize_mobile_number
from customers.services import customers_set_sms_opt_out_by_number
from monitoring.metrics import PERMANENT_FAILURE, SENT, SMS_SENDS, SUPPRESSED, TEMPORARY_FAILURE
from notifications.backends import TransportError
from notifications.messages import render_order_message
from notifications.models import (
    TO_DO,
    InboundAction,
    InboundSms,
    SmsKind,
    SmsNotification,
    SmsStatus,
    SmsStatusChange,
)
from notifications.selectors import remember_notifications
from orders.models import OrderStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from orders.models import Order

logger = logging.getLogger(__name__)

# The message each status of an order sends the patient.
KIND_OF_STATUS = {
    OrderStatus.PLACED: SmsKind.ORDER_RECEIVED,
    OrderStatus.FULFILLED: SmsKind.ORDER_READY,
    OrderStatus.CANCELLED: SmsKind.ORDER_CANCELLED,
}


class NoNotification(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


class NotificationNotFailed(Conflict):
    pass


def _record_changes(
    notification_ids: Iterable[int],
    new_status: str,
    *,
    note: str = "",
    at: datetime | None = None,
    by: User | None = None,
) -> None:
    """Add to the messages' status history (what the order's history shows)."""
    at = at or timezone.now()
    SmsStatusChange.objects.bulk_create(
        SmsStatusChange(notification_id=pk, status=new_status, note=note, at=at, changed_by=by)
        for pk in notification_ids
    )


def order_notification(*, order: Order) -> SmsNotification:
    """The outbox row that tells the patient about the order's current status (received,
    ready, cancelled), in their language, unsaved: `queue_order_notification` saves it, and
    `place_order` writes it with the order in one statement."""
    kind = KIND_OF_STATUS[OrderStatus(order.status)]
    language, rendered = render_order_message(order, kind=kind)
    return SmsNotification(
        order=order,
        kind=kind,
        language=language,
        phone_number=order.customer.contact_number,
        message=rendered.text,
        encoding=rendered.encoding,
        segments=rendered.segments,
    )


def queue_order_notification(*, order: Order) -> SmsNotification:
    """Add the SMS that tells the patient about the order's current status to the outbox.
    Call it inside the transaction that places the order or changes its status: they commit
    together or not at all. One per order and kind (a unique constraint), so a status reached
    twice could not queue it twice."""
    notification = order_notification(order=order)
    notification.save(force_insert=True)
    # (Its first status, queued, is in its created_at: no status-change row for it.)
    if notification.kind == SmsKind.ORDER_RECEIVED:
        # The order was just placed: this is its only message.
        remember_notifications(order, [notification])
    return notification


@transaction.atomic
def resend_notification(
    *, order: Order, kind: str = SmsKind.ORDER_RECEIVED, by: User | None = None
) -> SmsNotification:
    """Queue a new attempt for an order's failed SMS of `kind`.

    The same row goes back to `queued` with its attempts reset, the number, language and text
    taken afresh from the order and its patient (the usual fix for a failed SMS is a corrected
    phone number), and the old provider message id cleared, so a late report about the failed
    message cannot touch the new one. A suppressed message (the patient opted out) stays so.
    """
    try:
        notification = SmsNotification.objects.select_for_update().get(order=order, kind=kind)
    except SmsNotification.DoesNotExist:
        raise NoNotification(f"This order has no {kind} SMS.") from None
    if notification.status != SmsStatus.FAILED:
        raise NotificationNotFailed(
            f"This SMS is {notification.status}; only a failed SMS can be sent again."
        )
    language, rendered = render_order_message(order, kind=kind)
    notification.phone_number = order.customer.contact_number
    notification.language = language
    notification.message = rendered.text
    notification.encoding = rendered.encoding
    notification.segments = rendered.segments
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
    _record_changes([notification.pk], SmsStatus.QUEUED, note="Sent again on request", by=by)
    logger.info("sms_requeued notification=%s order=%s kind=%s", notification.pk, order.pk, kind)
    return notification


@dataclass(frozen=True)
class Claim:
    """A notification one worker owns until its lease runs out."""

    notification_id: int
    token: uuid.UUID
    attempt: int
    phone_number: str
    message: str
    kind: str


def claim_due_notifications(*, limit: int, now: datetime | None = None) -> list[Claim]:
    """Take up to `limit` notifications that are due, for this worker alone.

    A due row is queued and past its `next_attempt_at`, or `sending` with an expired lease (its
    worker died or hung). Claiming sets `next_attempt_at` to the end of the lease, so both
    cases are one condition on one partial index.

    A due message for a patient who opted out is not claimed but suppressed, here, where the
    patient's current choice is read in the same transaction; a batch that was all suppressed
    is followed by the next, so that `--once` never stops while messages are due.
    """
    now = now or timezone.now()
    while True:
        claims, suppressed = _claim_batch(limit=limit, now=now)
        if claims or not suppressed:
            return claims


def _claim_batch(*, limit: int, now: datetime) -> tuple[list[Claim], int]:
    """PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED` (of the outbox rows only, not the
    orders and patients joined in) lets concurrent workers pick disjoint rows without waiting
    on each other. SQLite has no row locks (Django drops the clause); there the conditional
    UPDATE (`... WHERE status IN (...) AND next_attempt_at <= now`) decides: a row another
    worker claimed in between no longer matches, and we only keep the rows that carry our
    fresh lease token. On PostgreSQL the repeated condition is redundant (the rows are locked)
    and costs nothing."""
    lease_until = now + timedelta(seconds=settings.SMS_LEASE_SECONDS)
    token = uuid.uuid4()
    due = Q(status__in=TO_DO, next_attempt_at__lte=now)
    with transaction.atomic():
        candidates = list(
            SmsNotification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list(
                "pk", "order__customer__sms_opt_out", "order__customer__sms_opt_out_source"
            )[:limit]
        )
        if not candidates:
            return [], 0
        # The messages of patients who opted out, by the reason they are not sent.
        opted_out: dict[str, list[int]] = defaultdict(list)
        for pk, opt_out, source in candidates:
            if opt_out:
                opted_out[_opted_out_reason(source)].append(pk)
        suppressed = sum(
            _suppress(ids, reason=reason, due=due, now=now) for reason, ids in opted_out.items()
        )
        suppressed_ids = {pk for ids in opted_out.values() for pk in ids}
        to_send = [pk for pk, _, _ in candidates if pk not in suppressed_ids]
        if not to_send:
            return [], suppressed
        SmsNotification.objects.filter(due, pk__in=to_send).update(
            status=SmsStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=lease_until,
            locked_until=lease_until,
            lease_token=token,
            updated_at=now,
        )
        rows = SmsNotification.objects.filter(lease_token=token).values_list(
            "pk", "attempts", "phone_number", "message", "kind"
        )
        claims = [
            Claim(
                notification_id=pk,
                token=token,
                attempt=n,
                phone_number=to,
                message=text,
                kind=kind,
            )
            for pk, n, to, text, kind in rows
        ]
        return claims, suppressed


def _opted_out_reason(source: str | None) -> str:
    label = SmsOptOutSource(source).label if source else "source unknown"
    return f"Not sent: the patient opted out of SMS ({label})."


def _suppress(ids: list[int], *, reason: str, due: Q, now: datetime) -> int:
    updated = SmsNotification.objects.filter(due, pk__in=ids).update(
        status=SmsStatus.SUPPRESSED,
        last_error=reason,
        locked_until=None,
        lease_token=None,
        updated_at=now,
    )
    # The rows just suppressed (on SQLite another worker may have claimed some in between).
    changed = list(
        SmsNotification.objects.filter(
            pk__in=ids, status=SmsStatus.SUPPRESSED, updated_at=now
        ).values_list("pk", "kind")
    )
    _record_changes([pk for pk, _ in changed], SmsStatus.SUPPRESSED, note=reason, at=now)
    for _, kind in changed:
        SMS_SENDS.labels(SUPPRESSED, kind).inc()
    logger.info("sms_suppressed count=%s reason=opted_out", updated)
    return updated


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
    if updated:
        _record_changes([claim.notification_id], SmsStatus.SENT, at=now)
    # Counted even when another worker took the lease over meanwhile: the message went out.
    SMS_SENDS.labels(SENT, claim.kind).inc()
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
        reason = error.message
        changes = {
            "status": SmsStatus.QUEUED,
            "last_error": reason,
            "next_attempt_at": now + timedelta(seconds=retry_delay(claim.attempt)),
        }
    updated = SmsNotification.objects.filter(_owned(claim)).update(
        locked_until=None, lease_token=None, updated_at=now, **changes
    )
    if updated:
        _record_changes([claim.notification_id], str(changes["status"]), note=reason, at=now)
    SMS_SENDS.labels(PERMANENT_FAILURE if give_up else TEMPORARY_FAILURE, claim.kind).inc()
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


@transaction.atomic
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
    # Locked first, so the status history names exactly the rows this report moved.
    ids = list(
        SmsNotification.objects.select_for_update()
        .filter(provider_message_id=message_id, status=SmsStatus.SENT)
        .values_list("pk", flat=True)
    )
    open_rows = SmsNotification.objects.filter(pk__in=ids, status=SmsStatus.SENT)
    if report_status in REPORT_DELIVERED:
        updated = open_rows.update(
            status=SmsStatus.DELIVERED,
            provider_status=report_status,
            delivered_at=now,
            updated_at=now,
        )
        _record_changes(ids, SmsStatus.DELIVERED, at=now)
    elif report_status in REPORT_FAILED:
        reason = f"Delivery {report_status.lower()}: {failure_reason or 'no reason given'}"
        updated = open_rows.update(
            status=SmsStatus.FAILED,
            provider_status=report_status,
            last_error=reason,
            updated_at=now,
        )
        _record_changes(ids, SmsStatus.FAILED, note=reason, at=now)
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


# What a patient may reply to the short code, compared after folding case and spaces.
OPT_OUT_WORDS = frozenset({"STOP", "STOP ALL", "ACHA", "SITISHA"})
OPT_IN_WORDS = frozenset({"START", "ANZA"})


def inbound_action(text: str) -> InboundAction:
    """What a reply asks for: `  stop  all ` is STOP ALL; anything else is just recorded."""
    words = " ".join(text.split()).upper()
    if words in OPT_OUT_WORDS:
        return InboundAction.OPT_OUT
    if words in OPT_IN_WORDS:
        return InboundAction.OPT_IN
    return InboundAction.NONE


def _e164_or_none(number: str) -> str | None:
    try:
        return normalize_mobile_number(number)
    except InvalidPhoneNumber:
        return None


@transaction.atomic
def receive_inbound_sms(
    *, provider_id: str, sender: str, recipient: str, text: str, sent_at: str, link_id: str
) -> InboundSms | None:
    """Record a patient's text to the short code and act on STOP/ACHA/START...: every patient
    with the sender's number is opted out (or back in). Idempotent: the gateway's id is
    unique, so a callback delivered twice is applied once (returns None the second time)."""
    action = inbound_action(text)
    try:
        with transaction.atomic():
            inbound = InboundSms.objects.create(
                provider_id=provider_id,
                sender=sender,
                recipient=recipient,
                text=text,
                sent_at_text=sent_at,
                link_id=link_id,
                action=action,
            )
    except IntegrityError:
        logger.info("sms_inbound_duplicate provider_id=%s", provider_id)
        return None
    number = _e164_or_none(sender)
    if action != InboundAction.NONE and number is not None:
        inbound.customers_matched = customers_set_sms_opt_out_by_number(
            phone_number=number,
            opt_out=action == InboundAction.OPT_OUT,
            source=SmsOptOutSource.PATIENT_REPLY,
        )
        inbound.save(update_fields=["customers_matched"])
    # Never the number or the text: a reply may say anything about the patient's health.
    logger.info(
        "sms_inbound inbound=%s action=%s customers=%s",
        inbound.pk,
        action,
        inbound.customers_matched,
    )
    return inbound


def receive_gateway_opt_out(*, phone_number: str) -> int:
    """Africa's Talking says the subscriber opted out of our sender id: stop the SMS of
    every patient with that number. Idempotent. Returns how many patients have it."""
    number = _e164_or_none(phone_number)
    matched = (
        0
        if number is None
        else customers_set_sms_opt_out_by_number(
            phone_number=number, opt_out=True, source=SmsOptOutSource.GATEWAY
        )
    )
    logger.info("sms_gateway_opt_out customers=%s", matched)
    return matched
