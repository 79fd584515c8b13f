from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from config.validators import validate_single_line
from customers.phone import InvalidPhoneNumber, normalize_mobile_number

# `add` would shadow the `/api/customers/add/` alias the original API published.
RESERVED_CODES = frozenset({"add"})

code_format = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z",
    "Use letters, digits, '-' and '_' only, starting with a letter or digit.",
)


def validate_code_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_CODES:
        raise ValidationError(f"'{value}' is reserved; choose another code.")


def validate_mobile_number(value: str) -> None:
    try:
        normalize_mobile_number(value)
    except InvalidPhoneNumber as exc:
        raise ValidationError(str(exc)) from exc


class Customer(models.Model):
    """A patient. `code` is the public identifier: kept as typed, unique whatever the case."""

    code = models.CharField(max_length=32, validators=[code_format, validate_code_not_reserved])
    name = models.CharField(max_length=200, validators=[validate_single_line])
    contact_number = models.CharField(
        max_length=16, validators=[validate_mobile_number], help_text="E.164, e.g. +254712345678"
    )
    email = models.EmailField()
    insurance_number = models.CharField(
        max_length=64, blank=True, default="", validators=[validate_single_line]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The audit trail: who changed what, when (updated_at would only repeat history_date).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                name="customer_code_unique_ci",
                violation_error_message="A customer with this code already exists.",
            ),
            models.CheckConstraint(condition=~models.Q(code=""), name="customer_code_not_empty"),
            models.CheckConstraint(condition=~models.Q(name=""), name="customer_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(contact_number__startswith="+"),
                name="customer_contact_number_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        # The admin's forms come through here; the API normalizes in its serializer.
        if self.contact_number:
            try:
                self.contact_number = normalize_mobile_number(self.contact_number)
            except InvalidPhoneNumber as exc:
                raise ValidationError({"contact_number": str(exc)}) from exc
