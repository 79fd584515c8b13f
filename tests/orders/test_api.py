from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus
from tests.conftest import on_postgresql
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

ORIGINAL = {
    "customer_code": "CUST001",
    "item": "Paracitamol",
    "amount": 50,
    "physician_name": "drhouse",
}


@pytest.fixture
def customer():
    return CustomerFactory(code="CUST001", name="James Bond")


def test_original_readme_body_places_an_order(api_client, customer):
    response = api_client.post("/api/orders/", ORIGINAL)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer_code"] == "CUST001"
    assert body["customer_name"] == "James Bond"
    assert body["amount"] == "50.00"
    assert body["status"] == "placed"
    order = Order.objects.get()
    assert order.amount == Decimal("50.00")
    assert body["id"] == order.pk


def test_add_alias_places_an_order(api_client, customer):
    assert api_client.post("/api/orders/add/", ORIGINAL).status_code == 201
    assert Order.objects.count() == 1


def test_add_alias_does_not_list(api_client):
    assert api_client.get("/api/orders/add/").status_code == 405


def test_order_records_who_created_it(api_client, customer, user):
    api_client.post("/api/orders/", ORIGINAL)
    assert Order.objects.get().created_by == user


def test_customer_code_is_matched_in_any_case(api_client, customer):
    response = api_client.post("/api/orders/", {**ORIGINAL, "customer_code": "cust001"})
    assert response.status_code == 201
    assert response.json()["customer_code"] == "CUST001"


def test_unknown_customer_code_is_rejected(api_client, customer):
    response = api_client.post("/api/orders/", {**ORIGINAL, "customer_code": "NOPE"})
    assert response.status_code == 400
    assert response.json() == {"customer_code": ["No customer with code 'NOPE'."]}
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "amount",
    [0, -1, "-0.01", "abc", "1.001", "100000000", "NaN", "Infinity", None, "", [5]],
)
def test_bad_amounts_are_rejected(api_client, customer, amount):
    response = api_client.post("/api/orders/", {**ORIGINAL, "amount": amount}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("amount", "stored"), [("0.01", "0.01"), (12.5, "12.50"), (99999999, "99999999.00")]
)
def test_good_amounts_are_stored_with_two_places(api_client, customer, amount, stored):
    response = api_client.post("/api/orders/", {**ORIGINAL, "amount": amount}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == stored


@pytest.mark.parametrize("field", ["customer_code", "item", "amount", "physician_name"])
def test_each_required_field_is_named_when_missing(api_client, customer, field):
    body = {k: v for k, v in ORIGINAL.items() if k != field}
    response = api_client.post("/api/orders/", body)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("customer_code", [123, None, ["CUST001"], "", "x" * 100])
def test_customer_code_of_the_wrong_shape_is_400(api_client, customer, customer_code):
    response = api_client.post(
        "/api/orders/", {**ORIGINAL, "customer_code": customer_code}, format="json"
    )
    assert response.status_code == 400
    assert "customer_code" in response.json()


def test_status_cannot_be_set_on_create(api_client, customer):
    # Silently ignoring it would answer 201 for an order that is not what was asked for.
    response = api_client.post("/api/orders/", {**ORIGINAL, "status": "fulfilled"})
    assert response.status_code == 400
    assert response.json() == {"status": ["This field is read-only."]}
    assert not Order.objects.exists()


def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/orders/", data="[1,", content_type="application/json")
    assert response.status_code == 400


def test_database_rejects_a_non_positive_amount():
    with pytest.raises(IntegrityError):
        OrderFactory(amount=Decimal("0"))


def test_database_rejects_an_unknown_status():
    with pytest.raises(IntegrityError):
        OrderFactory(status="lost")


def test_get_one_order(api_client):
    order = OrderFactory(customer__code="C9", customer__name="Ann")
    body = api_client.get(f"/api/orders/{order.pk}/").json()
    assert body["id"] == order.pk
    assert (body["customer_code"], body["customer_name"]) == ("C9", "Ann")


def test_unknown_order_is_404(api_client):
    assert api_client.get("/api/orders/999999/").status_code == 404


@pytest.mark.parametrize("target", ["fulfilled", "cancelled"])
def test_placed_order_can_be_fulfilled_or_cancelled(api_client, target):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": target})
    assert response.status_code == 200
    assert response.json()["status"] == target
    order.refresh_from_db()
    assert order.status == target


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("fulfilled", "placed"),
        ("fulfilled", "cancelled"),
        ("cancelled", "placed"),
        ("cancelled", "fulfilled"),
    ],
)
def test_final_statuses_cannot_change(api_client, start, target):
    order = OrderFactory(status=start)
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": target})
    assert response.status_code == 409
    assert "status" in response.json()
    order.refresh_from_db()
    assert order.status == start


def test_unknown_status_is_400(api_client):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": "shipped"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_placed_order_fields_can_be_corrected(api_client):
    order = OrderFactory()
    response = api_client.patch(
        f"/api/orders/{order.pk}/",
        {"item": "Ibuprofen", "amount": "75.5", "physician_name": "Dr Grey"},
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert (order.item, order.amount, order.physician_name) == (
        "Ibuprofen",
        Decimal("75.50"),
        "Dr Grey",
    )


def test_correction_with_a_bad_amount_is_400(api_client):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {"amount": "-3"})
    assert response.status_code == 400
    assert "amount" in response.json()


def test_fulfilled_order_cannot_be_corrected(api_client):
    order = OrderFactory(status=OrderStatus.FULFILLED, item="Aspirin")
    response = api_client.patch(f"/api/orders/{order.pk}/", {"item": "Ibuprofen"})
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.item == "Aspirin"


def test_customer_of_an_order_cannot_be_changed(api_client):
    order = OrderFactory()
    CustomerFactory(code="OTHER")
    response = api_client.patch(f"/api/orders/{order.pk}/", {"customer_code": "OTHER"})
    assert response.status_code == 400
    assert "customer_code" in response.json()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_orders_are_never_replaced_or_deleted(api_client, method):
    order = OrderFactory()
    response = getattr(api_client, method)(f"/api/orders/{order.pk}/", ORIGINAL)
    assert response.status_code == 405
    assert Order.objects.filter(pk=order.pk).exists()


def test_list_is_newest_first_and_paginated(api_client):
    now = datetime(2026, 1, 10, tzinfo=UTC)
    orders = [OrderFactory(created_at=now - timedelta(days=n)) for n in range(5)]
    body = api_client.get("/api/orders/", {"page_size": 2}).json()
    assert [o["id"] for o in body["results"]] == [orders[0].pk, orders[1].pk]
    assert body["previous"] is None
    second = api_client.get(body["next"]).json()
    assert [o["id"] for o in second["results"]] == [orders[2].pk, orders[3].pk]
    third = api_client.get(second["next"]).json()
    assert [o["id"] for o in third["results"]] == [orders[4].pk]
    assert third["next"] is None
    back = api_client.get(third["previous"]).json()
    assert [o["id"] for o in back["results"]] == [orders[2].pk, orders[3].pk]


def test_pages_stay_stable_while_new_orders_arrive(api_client):
    now = datetime(2026, 1, 10, tzinfo=UTC)
    orders = [OrderFactory(created_at=now - timedelta(days=n)) for n in range(4)]
    first = api_client.get("/api/orders/", {"page_size": 2}).json()
    OrderFactory(created_at=now + timedelta(days=1))
    second = api_client.get(first["next"]).json()
    assert [o["id"] for o in second["results"]] == [orders[2].pk, orders[3].pk]


def test_orders_created_at_the_same_instant_have_a_stable_order(api_client):
    instant = datetime(2026, 1, 10, tzinfo=UTC)
    orders = OrderFactory.create_batch(4, created_at=instant)
    body = api_client.get("/api/orders/", {"page_size": 3}).json()
    rest = api_client.get(body["next"]).json()
    seen = [o["id"] for o in body["results"] + rest["results"]]
    assert seen == sorted((o.pk for o in orders), reverse=True)


def test_default_page_size_is_50_and_at_most_200(api_client):
    OrderFactory.create_batch(201, customer=CustomerFactory())
    assert len(api_client.get("/api/orders/").json()["results"]) == 50
    assert len(api_client.get("/api/orders/", {"page_size": 1000}).json()["results"]) == 200


def test_filter_by_customer_code_in_any_case(api_client):
    mine = OrderFactory(customer__code="MINE")
    OrderFactory(customer__code="OTHER")
    body = api_client.get("/api/orders/", {"customer_code": "mine"}).json()
    assert [o["id"] for o in body["results"]] == [mine.pk]


def test_filter_by_status(api_client):
    OrderFactory(status=OrderStatus.PLACED)
    cancelled = OrderFactory(status=OrderStatus.CANCELLED)
    body = api_client.get("/api/orders/", {"status": "cancelled"}).json()
    assert [o["id"] for o in body["results"]] == [cancelled.pk]


def test_creation_window_accepts_any_utc_offset_python_accepts(api_client):
    # PostgreSQL itself refuses offsets past 15:59; the filter converts to UTC first.
    order = OrderFactory(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    body = api_client.get("/api/orders/", {"created_before": "2026-01-01T00:00:00-20:20"}).json()
    assert [o["id"] for o in body["results"]] == [order.pk]


def test_filter_by_creation_window(api_client):
    old = OrderFactory(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    mid = OrderFactory(created_at=datetime(2026, 2, 1, tzinfo=UTC))
    OrderFactory(created_at=datetime(2026, 3, 1, tzinfo=UTC))
    body = api_client.get(
        "/api/orders/", {"created_after": "2026-01-15", "created_before": "2026-02-15T00:00:00Z"}
    ).json()
    assert [o["id"] for o in body["results"]] == [mid.pk]
    body = api_client.get("/api/orders/", {"created_before": "2026-01-02"}).json()
    assert [o["id"] for o in body["results"]] == [old.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"created_after": "yesterday"},
        {"cursor": "abc"},
        {"created_after": "0001-01-01T00:00:00+05:00"},
    ],
)
def test_bad_filter_values_are_4xx(api_client, params):
    OrderFactory()
    assert 400 <= api_client.get("/api/orders/", params).status_code < 500


def test_order_list_costs_the_same_queries_whatever_the_page_size(
    api_client, django_assert_num_queries
):
    for customer in CustomerFactory.create_batch(10):
        OrderFactory.create_batch(3, customer=customer)
    # One query: a page of orders joined with their customers; no COUNT(*).
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/orders/", {"page_size": 1}).json()["results"]) == 1
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/orders/", {"page_size": 30}).json()["results"]) == 30


def test_unauthenticated_requests_are_refused(anonymous_client, customer):
    order = OrderFactory(customer=customer)
    assert anonymous_client.get("/api/orders/").status_code in (401, 403)
    assert anonymous_client.get(f"/api/orders/{order.pk}/").status_code in (401, 403)
    assert anonymous_client.post("/api/orders/", ORIGINAL).status_code in (401, 403)
    assert Order.objects.count() == 1


def test_placing_an_order_costs_two_statements_on_postgresql_five_elsewhere(api_client):
    """On PostgreSQL the customer by code with the order's id, then one statement that holds
    the customer (FOR KEY SHARE) and writes the order, its audit row and its SMS. Elsewhere
    the customer by code, then in one transaction (whose BEGIN and COMMIT the test's own
    transaction hides here): hold the customer, the order, its audit row, its SMS."""
    CustomerFactory(code="CUST001")
    body = {"customer_code": "CUST001", "item": "x", "amount": "5", "physician_name": "y"}
    with CaptureQueriesContext(connection) as queries:
        assert api_client.post("/api/orders/", body, format="json").status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == (2 if on_postgresql() else 5), statements


def test_placing_an_order_inside_a_transaction_opens_no_savepoint():
    # As under an Idempotency-Key: a savepoint would be two more round trips.
    from django.db import transaction

    from orders.services import place_order

    customer = CustomerFactory(code="CUST001")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        place_order(customer=customer, item="x", amount=Decimal(5), physician_name="y")
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == (2 if on_postgresql() else 4), statements
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_the_list_writes_each_order_as_the_serializer_does(api_client):
    """The list is written from plain rows (orders.api.order_row_representation); every
    field, message and timestamp must come out as OrderSerializer writes it."""
    from orders.api import OrderSerializer
    from orders.selectors import order_list
    from orders.services import order_update, place_order

    customer = CustomerFactory(code="CUST001", name="Amina Njeri")
    fulfilled = place_order(
        customer=customer, item="Amoxicillin", amount=Decimal("12.5"), physician_name="Dr A"
    )
    order_update(order=fulfilled, status=OrderStatus.FULFILLED)  # a second message
    place_order(customer=customer, item="Paracetamol", amount=Decimal(7), physician_name="Dr B")
    OrderFactory(customer=CustomerFactory(code="CUST002"))  # from before SMS: no messages
    # A timestamp with no microseconds: isoformat leaves them out, as DRF does.
    Order.objects.filter(pk=fulfilled.pk).update(
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    )

    listed = api_client.get("/api/orders/").json()["results"]

    expected = [
        OrderSerializer(order).data for order in order_list().order_by("-created_at", "-id")
    ]
    assert listed == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))
    assert [len(order["notifications"]) for order in listed] == [0, 1, 2]
    assert listed[2]["sms"] is not None
    assert listed[0]["sms"] is None
