"""The SMS outbox: one row per message to send, written in the same transaction as the change
of the order it tells the patient about.

The worker (`manage.py sms_worker`) reads the rows still to do through a partial index, so its
query stays cheap when the table holds millions of sent messages.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from customers.models import Language
from notifications import gsm, texts
from orders.models import Order


class SmsKind(models.TextChoices):
    ORDER_RECEIVED = texts.ORDER_RECEIVED, "Order received"
    ORDER_READY = texts.ORDER_READY, "Order ready"
    ORDER_CANCELLED = texts.ORDER_CANCELLED, "Order cancelled"


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # Not sent because the patient opted out; final (opting back in does not send it).
    SUPPRESSED = "suppressed", "Suppressed"


class SmsEncoding(models.TextChoices):
    GSM_7 = gsm.GSM_7, "GSM-7"
    UCS_2 = gsm.UCS_2, "UCS-2"


# The rows the worker still has to look at: waiting to be sent, or claimed by a worker that may
# have died (its lease runs out).
TO_DO = (SmsStatus.QUEUED, SmsStatus.SENDING)
FINAL = (SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.SUPPRESSED)


class SmsNotification(models.Model):
    """One SMS that tells a patient about their order: received, ready or cancelled.

    One per (order, kind) (a unique constraint in the database); a resend puts the same row
    back in the queue rather than adding a second one.
    """

    # No index of its own: the unique (order, kind) index serves lookups by order.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="sms_notifications", db_index=False
    )
    kind = models.CharField(max_length=16, choices=SmsKind.choices)
    language = models.CharField(max_length=2, choices=Language.choices)
    # Copied when queued (and again on resend): what is sent is what was committed.
    phone_number = models.CharField(max_length=16, help_text="E.164")
    message = models.TextField()
    encoding = models.CharField(max_length=5, choices=SmsEncoding.choices)
    segments = models.PositiveSmallIntegerField(help_text="SMS segments the message costs.")
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A claim: the worker holding `lease_token` owns the row until `locked_until`; after that
    # another worker may take it over (the first one died or hung).
    locked_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    # The last delivery report's status as Africa's Talking spells it (Sent, Buffered, ...).
    provider_status = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SMS notification"
        constraints = [
            models.UniqueConstraint(fields=["order", "kind"], name="sms_one_per_order_and_kind"),
            models.CheckConstraint(
                condition=Q(status__in=SmsStatus.values), name="sms_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=SmsKind.values), name="sms_kind_valid"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="sms_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(encoding__in=SmsEncoding.values), name="sms_encoding_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=TO_DO), name="sms_to_do_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.kind}, {self.status})"


class SmsStatusChange(models.Model):
    """A message's status changed: retry planned, sent, delivered, failed, suppressed,
    queued again. The order's history shows these.

    Not recorded: the first status, `queued`, which is the message's `created_at` (one write
    less when an order is placed or changed), and `sending`, a worker's lease on the message
    rather than news about it (it would double the worker's writes).
    """

    notification = models.ForeignKey(
        SmsNotification, on_delete=models.CASCADE, related_name="status_changes"
    )
    status = models.CharField(max_length=16, choices=SmsStatus.choices)
    # Why: the error of a failure or a planned retry, the reason for a suppression.
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)
    # Who asked for it (a resend); empty for the worker and the gateway.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["notification", "at"], name="sms_change_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id}: {self.status}"


class InboundAction(models.TextChoices):
    OPT_OUT = "opt_out", "Opt out"
    OPT_IN = "opt_in", "Opt back in"
    NONE = "none", "None (recorded only)"


class InboundSms(models.Model):
    """A text a patient sent to the clinic's short code (Africa's Talking's incoming-messages
    callback), kept as received. Unique by the gateway's id, so a callback delivered twice is
    applied once."""

    provider_id = models.CharField(max_length=100, unique=True)
    sender = models.CharField(max_length=32, help_text="`from`, E.164")
    recipient = models.CharField(max_length=32, help_text="`to`: the short code")
    text = models.TextField(blank=True)
    # As the gateway wrote it (its format is not documented precisely).
    sent_at_text = models.CharField(max_length=64, blank=True)
    link_id = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=8, choices=InboundAction.choices)
    customers_matched = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "inbound SMS"
        verbose_name_plural = "inbound SMS"

    def __str__(self) -> str:
        return f"Inbound SMS {self.pk} ({self.action})"
