"""The same-rows ceiling (bench/same_rows.py) measures a create only while it writes what a
create writes: the same order, audit-trail row and outbox row. PostgreSQL only, as the ceiling
is (`make bench` runs there)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.same_rows import place_same_rows
from notifications.messages import render_message
from notifications.models import SmsKind, SmsNotification
from orders.models import Order
from tests.conftest import on_postgresql
from tests.factories import CustomerFactory
from tests.support.rows import written

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if not on_postgresql():
        pytest.skip("the same-rows ceiling writes with a PostgreSQL-only statement")


def test_it_writes_what_a_create_through_the_api_writes(api_client, user):
    customer = CustomerFactory(code="SR1", name="Wanjiru Kamau", preferred_language="sw")
    order = {"item": "Amoxicillin 250mg", "amount": "12.50", "physician_name": "Dr Otieno"}
    through_api = api_client.post("/api/orders/", {"customer_code": "SR1", **order}).json()["id"]

    placed = place_same_rows(
        code="sr1",
        item=order["item"],
        amount=Decimal(order["amount"]),
        physician_name=order["physician_name"],
        user_id=user.pk,
    )

    assert placed is not None
    assert written(placed.order_id) == written(through_api)
    assert written(placed.order_id)["audit"][0]["history_type"] == "+"
    sms = SmsNotification.objects.get(order_id=placed.order_id)
    assert sms.pk == placed.sms_id
    for order_id in (through_api, placed.order_id):
        # Each message quotes its own order.
        expected = render_message(
            kind=SmsKind.ORDER_RECEIVED,
            language="sw",
            name=customer.name,
            reference=str(order_id),
            amount=Decimal("12.50"),
        )
        assert SmsNotification.objects.get(order_id=order_id).message == expected.text


def test_a_code_nobody_has_writes_nothing(user):
    CustomerFactory(code="KR2")
    for code in ("KR3", "\u212aR2"):  # unknown; KELVIN SIGN, a look-alike of KR2
        placed = place_same_rows(
            code=code, item="X", amount=Decimal(1), physician_name="Y", user_id=user.pk
        )
        assert placed is None
    assert not Order.objects.exists()
    assert not SmsNotification.objects.exists()
