"""The SMS outbox: one row per message to send, written in the same transaction as the order.

The worker (`manage.py sms_worker`) reads the rows still to do through a partial index, so its
query stays cheap when the table holds millions of sent messages.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models import Order


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


# The rows the worker still has to look at: waiting to be sent, or claimed by a worker that may
# have died (its lease runs out).
TO_DO = (SmsStatus.QUEUED, SmsStatus.SENDING)
FINAL = (SmsStatus.DELIVERED, SmsStatus.FAILED)


class SmsNotification(models.Model):
    """The SMS that tells a customer their order was placed.

    One per order (the one-to-one field is a unique constraint in the database); a resend puts
    the same row back in the queue rather than adding a second one, so an order's `sms` is
    always its one current notification.
    """

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="sms")
    # Copied when queued (and again on resend): what is sent is what was committed.
    phone_number = models.CharField(max_length=16, help_text="E.164")
    message = models.TextField()
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
            models.CheckConstraint(
                condition=Q(status__in=SmsStatus.values), name="sms_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status__in=TO_DO), name="sms_to_do_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.status})"
