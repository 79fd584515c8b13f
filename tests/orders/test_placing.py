"""Placing an order writes three rows together: the order, its audit-trail row, its SMS.

On PostgreSQL `place_order` writes them in one statement, not through `save()`
(orders.services, issue 14). These tests hold that statement to what the ORM writes, column
by column, so a field added to any of the three models cannot be written differently (or
forgotten) on one database only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import RequestFactory
from simple_history.models import HistoricalRecords

from customers.models import Customer
from notifications.models import SmsNotification
from notifications.selectors import notifications_of
from orders.models import Order
from orders.services import (
    UnknownCustomer,
    _place_with_the_orm,
    place_order,
    place_order_by_code,
)
from tests.conftest import on_postgresql
from tests.factories import CustomerFactory, UserFactory
from tests.support.rows import written

pytestmark = pytest.mark.django_db


@contextmanager
def request_by(user: User) -> Iterator[None]:
    """Inside a request by `user`, as simple-history's middleware tells its audit trail."""
    request = RequestFactory().post("/api/orders/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


ORDER = {"item": "Amoxicillin 250mg", "amount": Decimal("12.5"), "physician_name": "Dr Otieno"}


@pytest.mark.parametrize("by", ["a request", "no request"])
def test_the_one_statement_writes_what_the_orm_writes(by):
    if not on_postgresql():
        pytest.skip("the one statement is PostgreSQL's")
    customer = CustomerFactory(code="SW1", preferred_language="sw")
    clerk = UserFactory()
    with request_by(clerk) if by == "a request" else nullcontext():
        orm = _place_with_the_orm(customer=customer, created_by=clerk, **ORDER)
        one_statement = place_order(customer=customer, created_by=clerk, **ORDER)
        by_code = place_order_by_code(customer_code="sw1", created_by=clerk, **ORDER)

    assert written(one_statement.pk) == written(orm.pk)
    assert written(by_code.pk) == written(orm.pk)
    audit = Order.history.get(id=one_statement.pk)
    assert audit.history_type == "+"
    assert audit.history_user == (clerk if by == "a request" else None)
    for order in (orm, one_statement, by_code):
        # Each message quotes its own order.
        assert f"{order.pk}" in SmsNotification.objects.get(order=order).message


@pytest.mark.parametrize("place", ["by customer", "by code"])
def test_the_order_placed_is_the_order_stored(place):
    """What `place_order` returns (the API answers with it) is what a read finds: every
    field, its customer's, and its message."""
    customer = CustomerFactory(code="ST1")
    if place == "by code":
        placed = place_order_by_code(customer_code="st1", created_by=UserFactory(), **ORDER)
    else:
        placed = place_order(customer=customer, created_by=UserFactory(), **ORDER)
    stored = Order.objects.get(pk=placed.pk)
    for model, one, other in [
        (Order, placed, stored),
        (Customer, placed.customer, stored.customer),
    ]:
        fields = [f.attname for f in model._meta.concrete_fields]
        assert [getattr(one, f) for f in fields] == [getattr(other, f) for f in fields]
        assert not one._state.adding
    assert notifications_of(placed) == notifications_of(stored)
    assert len(notifications_of(placed)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "O'Brien's \"cream\"",
        "50% off; DROP TABLE orders_order; --",
        "%s %(item)s {0} \\x00",
        "Ибупрофен 200 мг · 布洛芬 · 💊",
        " leading and trailing ",
    ],
)
def test_any_text_is_written_as_given(text):
    placed = place_order(
        customer=CustomerFactory(), item=text, amount=Decimal(1), physician_name=text
    )
    stored = Order.objects.get(pk=placed.pk)
    assert (stored.item, stored.physician_name) == (text, text)
    assert Order.history.get(id=placed.pk).item == text


@pytest.mark.parametrize("code", ["NOBODY", "\u212aIT1", ""])
def test_an_order_for_a_code_nobody_has_is_not_placed(code):
    CustomerFactory(code="KIT1")
    with pytest.raises(UnknownCustomer, match="No customer with code"), transaction.atomic():
        place_order_by_code(customer_code=code, **ORDER)
    assert not Order.objects.exists()
    assert not SmsNotification.objects.exists()


def test_a_customer_deleted_since_the_lookup_gets_no_order():
    customer = CustomerFactory(code="GONE1")
    Customer.objects.filter(pk=customer.pk).delete()
    # (A savepoint of the test's own: an error inside the test's transaction breaks it.)
    with pytest.raises(UnknownCustomer), transaction.atomic():
        place_order(customer=customer, **ORDER)
    assert not Order.objects.exists()
    assert not Order.history.exists()
    assert not SmsNotification.objects.exists()


PLAIN_ORDER = {"item": "Amoxicillin", "amount": "12.5", "physician_name": "Dr Otieno"}


def test_a_plain_create_answers_what_a_read_of_the_order_answers(api_client):
    CustomerFactory(code="AP1", name="Amina Njeri")
    created = api_client.post(
        "/api/orders/", {"customer_code": "ap1", **PLAIN_ORDER}, format="json"
    )
    assert created.status_code == 201, created.content
    read = api_client.get(f"/api/orders/{created.json()['id']}/")
    assert created.json() == read.json()
    assert created.json()["customer_code"] == "AP1"
    assert created.json()["amount"] == "12.50"


def test_an_unknown_code_is_the_same_400_plain_or_not(api_client):
    """A plain order (JSON) is placed by code; a form goes through the serializer's fields.
    Nobody with the code: the same answer either way."""
    body = {"customer_code": " nobody ", **PLAIN_ORDER}
    plain = api_client.post("/api/orders/", body, format="json")
    form = api_client.post("/api/orders/", body, format="multipart")
    assert plain.status_code == form.status_code == 400
    assert plain.json() == form.json() == {"customer_code": ["No customer with code 'nobody'."]}
    assert not Order.objects.exists()
