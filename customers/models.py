from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from config.audit import audit_trail
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


class Language(models.TextChoices):
    """The languages patients are written to in (notifications/texts.py has the texts)."""

    EN = "en", "English"
    SW = "sw", "Kiswahili"


class SmsOptOutSource(models.TextChoices):
    """Who stopped a patient's SMS."""

    STAFF = "staff", "Staff (API or admin)"
    PATIENT_REPLY = "patient_reply", "The patient's reply (STOP, ACHA...)"
    GATEWAY = "gateway", "Africa's Talking opt-out"


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
    preferred_language = models.CharField(
        max_length=2,
        choices=Language.choices,
        default=Language.EN,
        help_text="The language of the patient's SMS.",
    )
    # Set only through customers.services.customer_set_sms_opt_out: the three go together.
    sms_opt_out = models.BooleanField(
        default=False, help_text="The patient asked for no SMS; messages due are suppressed."
    )
    sms_opt_out_at = models.DateTimeField(null=True, blank=True)
    # Null, not "", while opted in: "no source" is not one of the choices (and the API says
    # null, as it does for the time).
    sms_opt_out_source = models.CharField(  # noqa: DJ001
        max_length=16, choices=SmsOptOutSource.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The audit trail: who changed what, when (updated_at would only repeat history_date).
    history = audit_trail(excluded_fields=["updated_at"])

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
            models.CheckConstraint(
                condition=models.Q(preferred_language__in=Language.values),
                name="customer_preferred_language_valid",
            ),
            # Opted out: when and by whom are known; opted in: neither is.
            models.CheckConstraint(
                condition=models.Q(
                    sms_opt_out=True,
                    sms_opt_out_at__isnull=False,
                    sms_opt_out_source__in=SmsOptOutSource.values,
                )
                | models.Q(
                    sms_opt_out=False, sms_opt_out_at__isnull=True, sms_opt_out_source__isnull=True
                ),
                name="customer_sms_opt_out_consistent",
            ),
        ]
        indexes = [
            # An SMS reply or opt-out names the patient by number alone.
            models.Index(fields=["contact_number"], name="customer_contact_number_idx"),
            # The list's order: its first page is the first 50 entries, however many there are.
            models.Index(fields=["code", "id"], name="customer_code_order_idx"),
            # Searching by code, name, email or phone number: PostgreSQL-only indexes made in
            # migration 0005 (trigram and prefix), which other databases do without.
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
