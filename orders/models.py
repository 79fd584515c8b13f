from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from config.audit import audit_trail
from config.validators import validate_single_line
from customers.models import Customer


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"


# A fulfilled or cancelled order is final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.FULFILLED, OrderStatus.CANCELLED}),
    OrderStatus.FULFILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class Order(models.Model):
    """A medication order. A medical record: never hard-deleted through the API, cancelled
    instead."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    item = models.CharField(max_length=200, validators=[validate_single_line])
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    physician_name = models.CharField(max_length=200, validators=[validate_single_line])
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # The audit trail: who changed what, when (updated_at would only repeat history_date).
    history = audit_trail(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(condition=~models.Q(item=""), name="order_item_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(physician_name=""), name="order_physician_name_not_empty"
            ),
        ]
        indexes = [
            # One index per list shape: all orders, one customer's, one status's; newest first.
            models.Index(fields=["-created_at", "-id"], name="order_newest_idx"),
            models.Index(fields=["customer", "-created_at", "-id"], name="order_customer_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"
