from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower

from config.queries import between, compiled_sql, instance_from_row
from customers.models import Customer
from customers.phone import InvalidPhoneNumber, normalize_mobile_number


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.all()


# A search term that may be (the start of) a phone number.
_PHONE_LIKE = re.compile(r"\+?[0-9]{4,15}")
_PHONE_SEPARATORS = re.compile(r"[ ().-]")


def customer_search(customers: QuerySet[Customer], terms: Iterable[str]) -> QuerySet[Customer]:
    """Customers matching every term: each term is part of the code, the name or the email
    (any case), or is the patient's phone number (national or E.164) or, written with "+", the
    start of it.

    On PostgreSQL each of these is an index scan (customers migration 0005: trigram indexes
    on the upper-cased code, name and email, which `icontains` compares; a prefix index on
    the number), so a search costs about the same with a thousand patients or a million:
    the front desk searches as it types. A term shorter than three characters has no
    trigram to look up and falls back to reading rows in code order until a page is full.
    """
    terms = list(terms)
    where = Q()
    for term in terms:
        where &= (
            Q(code__icontains=term)
            | Q(name__icontains=term)
            | Q(email__icontains=term)
            | _phone_number_matches(term)
        )
    # A number typed in groups ("0712 345 678", "(0712) 345-678") finds its patient too.
    grouped = _PHONE_SEPARATORS.sub("", "".join(terms))
    if grouped != "".join(terms) or len(terms) > 1:
        where |= _phone_number_matches(grouped)
    return customers.filter(where)


def _phone_number_matches(term: str) -> Q:
    """The patient whose number `term` is (national or E.164), or, written with "+", whose
    number starts with it. Nobody if `term` is no number."""
    if not _PHONE_LIKE.fullmatch(term):
        return Q(pk__in=[])
    if term.startswith("+"):
        return Q(contact_number__startswith=term)
    try:
        return Q(contact_number=normalize_mobile_number(term))
    except InvalidPhoneNumber:
        return Q(pk__in=[])


def customers_with_code(code: str) -> QuerySet[Customer]:
    """Customers whose code matches `code` in any case (at most one), through the functional
    unique index on LOWER(code) so the lookup stays an index scan.

    Codes are ASCII; so is the case folding. Python's `lower()` would fold look-alikes onto
    codes (KELVIN SIGN to "k", so "\u212aIT1" would find KIT1), so a code with anything else
    in it matches nobody.
    """
    folded = folded_code(code)
    if folded is None:
        return Customer.objects.none()
    return Customer.objects.alias(code_lower=Lower("code")).filter(code_lower=folded)


def folded_code(code: str) -> str | None:
    """`code` as the LOWER(code) index holds it, or None for a code no customer can have
    (anything but ASCII: see `customers_with_code`)."""
    return code.lower() if code.isascii() else None


@cache
def _customer_by_code_sql() -> str:
    return compiled_sql(customers_with_code("code").order_by("pk")[:1], params=("code",))


def customer_get_by_code(code: str) -> Customer | None:
    """The customer `customers_with_code` finds, or None.

    Every order placed looks its customer up by code, and Django compiles a query's SQL anew
    on every call: three quarters of this lookup's CPU time (0.7 ms of 0.9 on the benchmark
    machine). So the ORM compiles it once per process, and each lookup runs that SQL and
    makes the instance from the row as the ORM would (`instance_from_row`).
    """
    folded = folded_code(code)
    if folded is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_customer_by_code_sql(), [folded])
        row = cursor.fetchone()
    return None if row is None else instance_from_row(Customer, row)


def customer_code_taken(code: str, *, exclude_pk: int | None = None) -> bool:
    matches = customers_with_code(code)
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    return matches.exists()


def customer_codes_by_id(ids: Iterable[int]) -> dict[int, str]:
    return dict(Customer.objects.filter(pk__in=set(ids)).values_list("pk", "code"))


# --- Reads for the FHIR facade (fhir app): criteria as Q objects the caller combines, a page
# function that owns ordering and keyset paging, and the audit trail's versions. ---


def customers_with_exact_code(code: str) -> QuerySet[Customer]:
    """The customer whose code is exactly `code` (FHIR ids are case-sensitive), still found
    through the index on LOWER(code)."""
    return customers_with_code(code).filter(code=code)


def customer_list_audited() -> QuerySet[Customer]:
    """Customers with their audit trail's latest entry: `audit_version` (its history id) and
    `audit_at` (when). A customer saved before the audit trail existed has no entry: no
    version, and `updated_at` as its time."""
    latest = Customer.history.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id")
    return Customer.objects.alias(code_lower=Lower("code")).annotate(
        audit_version=Subquery(latest.values("history_id")[:1]),
        audit_at=Coalesce(Subquery(latest.values("history_date")[:1]), F("updated_at")),
    )


def customer_pk_in(pks: Collection[int]) -> Q:
    return Q(pk__in=pks)


# Matches nobody: what a code with a non-ASCII character in it matches (see customers_with_code).
_NOBODY = Q(pk__in=[])


def customer_code_is(code: str) -> Q:
    """Exactly this code, through the index on LOWER(code)."""
    return Q(code_lower=code.lower(), code=code) if code.isascii() else _NOBODY


def customer_code_matches(code: str) -> Q:
    """This code in any ASCII case, as the REST API finds customers."""
    return Q(code_lower=code.lower()) if code.isascii() else _NOBODY


def customer_insurance_number_is(number: str) -> Q:
    return Q(insurance_number=number)


def customer_name_contains(text: str) -> Q:
    return Q(name__icontains=text)


def customer_phone_is(e164: str) -> Q:
    return Q(contact_number=e164)


def customer_email_is(email: str) -> Q:
    return Q(email__iexact=email)


def customer_audited_between(start: datetime | None, end: datetime | None) -> Q:
    """Last changed (by the audit trail) within [start, end)."""
    return between("audit_at", start, end)


def customer_page(*, where: Q, after_pk: int | None, limit: int) -> list[Customer]:
    """Up to `limit` customers matching `where`, in id order, after the customer `after_pk`:
    keyset paging, so a deep page costs what the first one does. One query."""
    customers = customer_list_audited().filter(where)
    if after_pk is not None:
        customers = customers.filter(pk__gt=after_pk)
    return list(customers.order_by("pk")[:limit])


def customer_audited_with_code(code: str) -> Customer | None:
    return customer_list_audited().filter(customer_code_is(code)).first()


def customer_deleted_with_code(code: str) -> Any | None:
    """The audit trail's record of deleting the customer whose code was exactly `code`, the
    latest if several were; None when none was deleted. (The history table has no index on
    code: this runs only after a read found no current customer.)"""
    return (
        Customer.history.filter(code=code, history_type="-")
        .order_by("-history_date", "-history_id")
        .first()
    )


def customer_history_record(*, customer_pk: int, history_id: int) -> Any | None:
    """One entry of a customer's audit trail (a historical record), or None."""
    return Customer.history.filter(id=customer_pk, history_id=history_id).first()


# --- Reads for the front desk (desk app) ---


def customers_found(text: str, *, limit: int) -> list[Customer]:
    """Up to `limit` customers, by code, that the API's `?search=` would find for `text`
    (`customer_search`): the front desk's search box and type-ahead. One query."""
    terms = text.replace(",", " ").split()
    if not terms:
        return []
    return list(customer_search(customer_list(), terms).order_by("code", "pk")[:limit])
