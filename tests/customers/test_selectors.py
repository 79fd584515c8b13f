"""Reads of customers that bypass parts of the ORM for speed must read what the ORM reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customers.models import Customer, SmsOptOutSource
from customers.selectors import customer_get_by_code
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_customer_by_code_is_the_customer_the_orm_reads():
    """`customer_get_by_code` makes the instance from its own row: every field, converted as
    the ORM converts it (SQLite hands back text for times and integers for booleans)."""
    CustomerFactory(code="OTHER1")
    CustomerFactory(code="OPT1", preferred_language="sw", insurance_number="NHIF-1")
    Customer.objects.filter(code="OPT1").update(
        sms_opt_out=True,
        sms_opt_out_at=datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC),
        sms_opt_out_source=SmsOptOutSource.values[0],
    )
    found = customer_get_by_code("opt1")
    read = Customer.objects.get(code="OPT1")

    assert found is not None
    fields = [field.attname for field in Customer._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(read, name) for name in fields]
    assert [type(getattr(found, name)) for name in fields] == [
        type(getattr(read, name)) for name in fields
    ]
    assert found.sms_opt_out is True
    assert not found._state.adding
    assert found._state.db == "default"


def test_no_customer_by_an_unknown_or_look_alike_code():
    CustomerFactory(code="KIT1")
    assert customer_get_by_code("KIT2") is None
    assert customer_get_by_code("\u212aIT1") is None  # KELVIN SIGN
