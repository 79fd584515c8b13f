from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.functions import Lower

from customers.models import Customer


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.all()


def customers_with_code(code: str) -> QuerySet[Customer]:
    """Customers whose code matches `code` in any case (at most one), through the functional
    unique index on LOWER(code) so the lookup stays an index scan.

    Codes are ASCII; so is the case folding. Python's `lower()` would fold look-alikes onto
    codes (KELVIN SIGN to "k", so "\u212aIT1" would find KIT1), so a code with anything else
    in it matches nobody.
    """
    if not code.isascii():
        return Customer.objects.none()
    return Customer.objects.alias(code_lower=Lower("code")).filter(code_lower=code.lower())


def customer_get_by_code(code: str) -> Customer | None:
    return customers_with_code(code).first()


def customer_code_taken(code: str, *, exclude_pk: int | None = None) -> bool:
    matches = customers_with_code(code)
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    return matches.exists()


def customer_codes_by_id(ids: Iterable[int]) -> dict[int, str]:
    return dict(Customer.objects.filter(pk__in=set(ids)).values_list("pk", "code"))
