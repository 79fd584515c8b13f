from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from config.exceptions import Conflict, DomainError
from customers.models import Customer
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


def _save(customer: Customer) -> Customer:
    # The serializer checked the code is free, but a concurrent request may have taken it
    # since; the database's unique index is the final word.
    try:
        with transaction.atomic():
            customer.save()
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
) -> Customer:
    return _save(
        Customer(
            code=code,
            name=name,
            contact_number=contact_number,
            email=email,
            insurance_number=insurance_number,
        )
    )


def customer_update(*, customer: Customer, **changes: Any) -> Customer:
    for field, value in changes.items():
        setattr(customer, field, value)
    return _save(customer)


def customer_delete(*, customer: Customer) -> None:
    try:
        with transaction.atomic():
            customer.delete()
    except (ProtectedError, IntegrityError):
        # IntegrityError: an order for this customer committed after the ORM's check.
        raise CustomerHasOrders() from None
