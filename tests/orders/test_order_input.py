"""OrderSerializer reads a plain order, and writes every order, without building its fields
(orders.api, issue 14). What it reads and writes must be what the fields read and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from notifications.models import SmsStatus
from notifications.services import record_delivery_report
from orders.api import OrderSerializer, plain_order_input
from orders.models import Order, OrderStatus
from orders.selectors import order_list
from orders.services import order_update, place_order
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def read_by_the_fields(data: Any) -> dict[str, Any] | None:
    """The fields' own reading of `data` (what OrderSerializer did before issue 14)."""
    serializer = OrderSerializer(data=data)
    try:
        value = super(OrderSerializer, serializer).to_internal_value(data)
        serializer.run_validators(value)
    except serializers.ValidationError:
        return None
    return dict(value)


def same_reading(data: Any) -> None:
    plain = plain_order_input(data)
    if plain is None:
        return  # the fields read it, as before
    by_fields = read_by_the_fields(data)
    assert by_fields is not None, data
    # Equal, down to the amount's places (Decimal("5") == Decimal("5.00")).
    assert plain == by_fields
    assert str(plain["amount"]) == str(by_fields["amount"])


@pytest.fixture
def patient():
    return CustomerFactory(code="CUST001")


PLAIN = [
    {"customer_code": "CUST001", "item": "Paracetamol", "amount": 50, "physician_name": "Dr A"},
    {"customer_code": " cust001 ", "item": " x ", "amount": "12.5", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "a" * 200, "amount": "99999999.99", "physician_name": "b"},
    {"customer_code": "CUST001", "item": "x", "amount": "0.01", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": 99_999_999, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": "00000001.5", "physician_name": "y"},
]


@pytest.mark.parametrize("data", PLAIN)
def test_a_plain_order_is_read_without_the_fields_as_the_fields_read_it(patient, data):
    assert plain_order_input(data) is not None
    same_reading(data)


NOT_PLAIN = [
    # Each for the fields to read, and answer (most of them with an error).
    {"customer_code": "NOBODY", "item": "x", "amount": 5, "physician_name": "y"},
    {"customer_code": "C" * 33, "item": "x", "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": 5},
    {"customer_code": "CUST001", "item": "x", "amount": 5, "physician_name": "y", "status": "x"},
    {"customer_code": "CUST001", "item": "   ", "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "a" * 201, "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x\ty", "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "Ibuprofène", "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": 5, "amount": 5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": True, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": 0, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": "0.00", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": 10**8, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": "1.005", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": "1e2", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": "\u0665", "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": 1.5, "physician_name": "y"},
    {"customer_code": "CUST001", "item": "x", "amount": None, "physician_name": "y"},
    ["CUST001", "x", 5, "y"],
]


@pytest.mark.parametrize("data", NOT_PLAIN)
def test_anything_else_is_left_to_the_fields(patient, data):
    assert plain_order_input(data) is None


texts = st.one_of(
    st.text(max_size=210),
    st.text(st.sampled_from("ab \t\n\x00\x7f\x85\u00a0\u2028Ω"), max_size=8),
    st.just("x" * 200),
    st.just(" " + "x" * 200),
)
amounts = st.one_of(
    st.integers(min_value=-1, max_value=10**9),
    st.booleans(),
    st.none(),
    st.floats(),
    st.from_regex(r"-?[0-9]{0,10}(\.[0-9]{0,4})?", fullmatch=True),
    st.decimals(places=3, min_value=-1, max_value=10**9).map(str),
    st.text(max_size=12),
)
orders = st.fixed_dictionaries(
    {
        "customer_code": st.sampled_from(["CUST001", "cust001", " CUST001\t", "CUST002", ""])
        | st.text(max_size=34),
        "item": texts,
        "amount": amounts,
        "physician_name": texts,
    },
    optional={"status": st.sampled_from(list(OrderStatus)), "id": st.integers()},
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=orders)
def test_whatever_is_read_without_the_fields_the_fields_read_alike(patient, data):
    same_reading(data)


def test_every_order_is_written_as_its_fields_write_it():
    customer = CustomerFactory(code="CUST001", name="Amina Njeri")
    placed = place_order(
        customer=customer, item="Amoxicillin", amount=Decimal("12.5"), physician_name="Dr A"
    )
    fulfilled = place_order(customer=customer, item="x", amount=Decimal(7), physician_name="y")
    order_update(order=fulfilled, status=OrderStatus.FULFILLED)
    sent = place_order(customer=customer, item="x", amount=Decimal(1), physician_name="y")
    sent.sms_notifications.update(status=SmsStatus.SENT, provider_message_id="ATXid_1")
    record_delivery_report(message_id="ATXid_1", report_status="Success", failure_reason="")
    before_sms = OrderFactory(customer=customer)  # placed before SMS: no messages

    just_placed = [placed]  # as the create answers: the instance the service returned
    read = list(order_list().filter(pk__in=[placed.pk, fulfilled.pk, sent.pk, before_sms.pk]))
    plain = [Order.objects.get(pk=placed.pk)]  # no annotation: its messages cost a query
    for order in [*just_placed, *read, *plain]:
        written = OrderSerializer(order).data
        by_fields = super(OrderSerializer, OrderSerializer(order)).to_representation(order)
        assert written == by_fields
    assert [len(OrderSerializer(o).data["notifications"]) for o in read] == [0, 1, 2, 1]
