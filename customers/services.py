from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from rest_framework import status

from config.exceptions import Conflict, DomainError
from customers.models import Customer, Language, SmsOptOutSource
from customers.selectors import customer_code_taken


class CustomerCodeTaken(DomainError):
    field = "code"

    def __init__(self) -> None:
        super().__init__("A customer with this code already exists.")


class CustomerHasOrders(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "This customer has orders and cannot be deleted; orders are medical records."
        )


class CustomerGone(DomainError):
    """The customer was deleted while the request was on its way (a concurrent delete)."""

    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self) -> None:
        super().__init__("Not found.")


def lock_customer(*, customer: Customer) -> bool:
    """Lock the customer's row until the current transaction ends; False if it is gone.

    A transaction that adds a row pointing at the customer (an order) calls this first, so a
    concurrent delete waits for it and then sees the new row, rather than both committing and
    PostgreSQL's deferred foreign key failing the second COMMIT (a 500, or on another database
    an orphan). On SQLite, whose transactions take the write lock at BEGIN, it is a plain read.
    """
    return Customer.objects.select_for_update().filter(pk=customer.pk).exists()


def hold_customer(*, customer: Customer) -> bool:
    """Keep the customer from being deleted until the current transaction ends; False if it
    is gone. For a transaction that adds a row pointing at the customer (an order).

    `lock_customer`'s reason, with PostgreSQL's weakest row lock, FOR KEY SHARE: the one its
    own foreign-key check takes. A delete (FOR UPDATE) still waits for it, but other orders
    of the same patient and edits of the patient's details do not, so a busy patient's orders
    are not placed one at a time. (FOR UPDATE made every order of one customer queue behind
    the one before it for its whole transaction.) Elsewhere, `lock_customer`.
    """
    if connection.vendor != "postgresql":
        return lock_customer(customer=customer)
    with connection.cursor() as cursor:
        cursor.execute(hold_customer_sql(), [customer.pk])
        return cursor.fetchone() is not None


def hold_customer_sql() -> str:
    """`hold_customer`'s statement on PostgreSQL, one row if the customer (the one parameter,
    their id) is there: for a statement that holds the customer in a part of its own
    (`orders.services.place_order`)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    return f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE"  # noqa: S608 (a table name)


def _save(customer: Customer, *, fields: list[str] | None = None) -> Customer:
    # The serializer checked the code is free, but a concurrent request may have taken it
    # since; the database's unique index is the final word.
    try:
        with transaction.atomic():
            customer.save(update_fields=fields)
    except IntegrityError:
        if customer_code_taken(customer.code, exclude_pk=customer.pk):
            raise CustomerCodeTaken() from None
        raise
    return customer


def customer_create(
    *,
    code: str,
    name: str,
    contact_number: str,
    email: str,
    insurance_number: str = "",
    preferred_language: str = Language.EN,
) -> Customer:
    return _save(
        Customer(
            code=code,
            name=name,
            contact_number=contact_number,
            email=email,
            insurance_number=insurance_number,
            preferred_language=preferred_language,
        )
    )


def customer_update(*, customer: Customer, **changes: Any) -> Customer:
    """Apply `changes`; a change to nothing (every value as it is) writes nothing: no audit
    row, no new `updated_at`."""
    changed = {f: v for f, v in changes.items() if getattr(customer, f) != v}
    if not changed:
        return customer
    for field, value in changed.items():
        setattr(customer, field, value)
    # Only the changed columns: an edit must not write back an opt-out (or anything else)
    # that another request changed since this one read the row.
    return _save(customer, fields=[*changed, "updated_at"])


def customer_delete(*, customer: Customer) -> None:
    """Delete a customer without orders. Of concurrent deletes exactly one succeeds (and
    writes the one "deleted" audit row); the others find nothing to delete."""
    try:
        with transaction.atomic():
            if not lock_customer(customer=customer):
                raise CustomerGone()
            customer.delete()
    except (ProtectedError, IntegrityError):
        # IntegrityError: an order for this customer committed after the ORM's check.
        raise CustomerHasOrders() from None


def _apply_sms_opt_out(customer: Customer, *, opt_out: bool, source: SmsOptOutSource) -> bool:
    if customer.sms_opt_out == opt_out:
        return False
    customer.sms_opt_out = opt_out
    customer.sms_opt_out_at = timezone.now() if opt_out else None
    customer.sms_opt_out_source = source if opt_out else None
    # The audit trail records who (the request's user, none for the gateway) and why.
    customer._change_reason = f"SMS {'opt-out' if opt_out else 'opt-in'}: {source.label}"  # type: ignore[attr-defined]
    customer.save(
        update_fields=["sms_opt_out", "sms_opt_out_at", "sms_opt_out_source", "updated_at"]
    )
    return True


@transaction.atomic
def customer_set_sms_opt_out(
    *, customer: Customer, opt_out: bool, source: SmsOptOutSource
) -> Customer:
    """Stop (or restart) a patient's SMS. Idempotent: asking for the current state changes
    nothing and adds nothing to the audit trail. Opting back in sends no old message again."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _apply_sms_opt_out(customer, opt_out=opt_out, source=source)
    return customer


@transaction.atomic
def customers_set_sms_opt_out_by_number(
    *, phone_number: str, opt_out: bool, source: SmsOptOutSource
) -> int:
    """Stop (or restart) the SMS of every patient with this number (family members often
    share one phone). Returns how many patients have the number."""
    customers = list(
        Customer.objects.select_for_update().filter(contact_number=phone_number).order_by("pk")
    )
    for customer in customers:
        _apply_sms_opt_out(customer, opt_out=opt_out, source=source)
    return len(customers)
