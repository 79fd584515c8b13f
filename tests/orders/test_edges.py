"""Orders at the edges: races with a customer's deletion, changes that change nothing, final
orders asked again, write-only callers, numbers and text that look right but are not."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from customers.models import Customer
from orders.models import Order, OrderStatus
from tests.conftest import client_with_scopes, full_access, on_postgresql
from tests.factories import CustomerFactory, OrderFactory, UserFactory
from tests.support.concurrency import at_once

pytestmark = pytest.mark.django_db

BODY = {"customer_code": "CUST001", "item": "Amoxicillin", "amount": "50", "physician_name": "Dr A"}


@pytest.fixture
def customer():
    return CustomerFactory(code="CUST001")


def _history_count(order: Order) -> int:
    return order.history.count()


# --- 1. A customer deleted while an order is being placed ----------------------------------


def _wait_until_blocked_on_a_lock(other_pid: int) -> None:
    """Until some backend other than `other_pid` waits for a lock: the request under test has
    reached the row the other transaction holds."""
    deadline = time.monotonic() + 10
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> %s AND datname = current_database()",
                [other_pid],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the request never waited for the lock")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_racing_its_customers_deletion_is_a_400_not_a_500(api_client):
    if not on_postgresql():
        pytest.skip("PostgreSQL's deferred foreign keys")
    customer = CustomerFactory(code="CUST001")
    deleted = threading.Event()
    commit = threading.Event()
    pids: list[int] = []

    def delete_and_hold() -> None:
        # Another clerk deletes the customer: the row is gone for that transaction, not yet
        # for anyone else.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
            cursor.execute("DELETE FROM customers_customer WHERE id = %s", [customer.pk])
            deleted.set()
            commit.wait(10)
            cursor.execute("COMMIT")
        connection.close()

    deleter = threading.Thread(target=delete_and_hold)
    deleter.start()
    deleted.wait(10)
    responses = []
    placer = threading.Thread(
        target=lambda: responses.append(api_client.post("/api/orders/", BODY))
    )
    placer.start()
    _wait_until_blocked_on_a_lock(pids[0])
    commit.set()
    deleter.join()
    placer.join()

    (response,) = responses
    assert response.status_code == 400
    assert response.json() == {"customer_code": ["No customer with code 'CUST001'."]}
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


@contextmanager
def _order_held_open(customer: Customer) -> Iterator[int]:
    """An order of `customer` placed in another thread's transaction, held open (uncommitted)
    until the block ends; yields that transaction's backend pid."""
    from django.db import transaction

    from orders.services import place_order

    placed = threading.Event()
    commit = threading.Event()
    pids: list[int] = []

    def place_and_hold() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            place_order(customer=customer, item="x", amount=Decimal(1), physician_name="y")
            placed.set()
            commit.wait(10)
        connection.close()

    placer = threading.Thread(target=place_and_hold)
    placer.start()
    try:
        assert placed.wait(10)
        yield pids[0]
    finally:
        commit.set()
        placer.join()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_customer_deleted_while_its_order_commits_is_kept_with_the_order(api_client):
    if not on_postgresql():
        pytest.skip("row locks")
    customer = CustomerFactory(code="CUST001")
    responses = []
    deleter = threading.Thread(
        target=lambda: responses.append(api_client.delete("/api/customers/CUST001/"))
    )
    with _order_held_open(customer) as placer_pid:
        deleter.start()
        _wait_until_blocked_on_a_lock(placer_pid)
    deleter.join()

    assert responses[0].status_code == 409
    assert Order.objects.filter(customer__code="CUST001").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_open_order_holds_back_a_delete_but_not_other_orders_or_edits_of_the_customer(
    api_client,
):
    # FOR KEY SHARE, not FOR UPDATE: a busy patient's orders are not placed one at a time.
    if not on_postgresql():
        pytest.skip("row locks")
    customer = CustomerFactory(code="CUST001")
    with _order_held_open(customer):
        try:
            # With the first order's transaction still open, and a statement timeout so a
            # wait fails the test instead of hanging it:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = '2s'")
            assert api_client.post("/api/orders/", BODY, format="json").status_code == 201
            patch = api_client.patch("/api/customers/CUST001/", {"name": "New Name"}, format="json")
            assert patch.status_code == 200
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
    assert Order.objects.filter(customer__code="CUST001").count() == 2


# --- 4. Amounts are ASCII digits ------------------------------------------------------------


@pytest.mark.parametrize(
    "amount", ["５０", "٥٠", "1_000", " 50 ", "50 ", "5e1", "0x32", "²", "+50"]
)
def test_an_amount_in_anything_but_plain_ascii_digits_is_400(api_client, customer, amount):
    response = api_client.post("/api/orders/", {**BODY, "amount": amount}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not Order.objects.exists()


@pytest.mark.parametrize("amount", ["٥٠", "1_000", " 50 "])
def test_a_correction_of_the_amount_takes_ascii_digits_only(api_client, amount):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {"amount": amount}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()


@pytest.mark.parametrize(("amount", "stored"), [("50", "50.00"), ("0.5", "0.50"), (50, "50.00")])
def test_plain_amounts_are_still_accepted(api_client, customer, amount, stored):
    response = api_client.post("/api/orders/", {**BODY, "amount": amount}, format="json")
    assert response.status_code == 201
    assert response.json()["amount"] == stored


@pytest.mark.parametrize("value", ["２０２６-01-01T00:00:00Z", "٢٠٢٦-01-01T00:00:00Z"])
def test_date_filters_take_ascii_digits_only(api_client, value):
    response = api_client.get("/api/orders/", {"created_after": value})
    assert response.status_code == 400
    assert "created_after" in response.json()


# --- 6. Changes that change nothing write nothing -------------------------------------------


def test_an_empty_patch_is_400_and_writes_nothing(api_client):
    order = OrderFactory()
    before = order.updated_at
    response = api_client.patch(f"/api/orders/{order.pk}/", {}, format="json")
    assert response.status_code == 400
    assert "changes nothing" in response.json()["detail"]
    order.refresh_from_db()
    assert order.updated_at == before
    assert _history_count(order) == 1


@pytest.mark.parametrize("body", [{"unknown": 1}, {"status": "cancelled", "unknown": 1}])
def test_an_unknown_field_is_400_and_writes_nothing(api_client, body):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"unknown": ["Unknown field."]}
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED
    assert _history_count(order) == 1


@pytest.mark.parametrize("field", ["id", "created_at", "customer_name", "sms"])
def test_a_read_only_field_in_a_patch_is_400(api_client, field):
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {field: "x"}, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.FULFILLED])
def test_asking_a_final_order_for_its_own_status_again_is_409(api_client, status):
    order = OrderFactory(status=status)
    before = order.updated_at
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": status}, format="json")
    assert response.status_code == 409
    assert response.json() == {"status": [f"This order is already {status}."]}
    order.refresh_from_db()
    assert order.updated_at == before
    assert _history_count(order) == 1


def test_a_correction_to_the_same_values_writes_nothing(api_client):
    order = OrderFactory(item="Aspirin", amount=Decimal("10.00"))
    before = order.updated_at
    response = api_client.patch(
        f"/api/orders/{order.pk}/",
        {"item": "Aspirin", "amount": "10", "status": "placed"},
        format="json",
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.updated_at == before
    assert _history_count(order) == 1


def test_a_real_change_still_writes_one_audit_row(api_client):
    order = OrderFactory(item="Aspirin")
    response = api_client.patch(f"/api/orders/{order.pk}/", {"item": "Ibuprofen"}, format="json")
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.item == "Ibuprofen"
    assert _history_count(order) == 2


@pytest.mark.django_db(transaction=True)
def test_of_thirty_concurrent_final_changes_exactly_one_is_made():
    order = OrderFactory()
    user = UserFactory()
    targets = [OrderStatus.FULFILLED, OrderStatus.CANCELLED] * 15

    def patch(i: int) -> int:
        client = APIClient()
        client.force_authenticate(user=user, token=full_access(user))
        return client.patch(
            f"/api/orders/{order.pk}/", {"status": targets[i]}, format="json"
        ).status_code

    statuses = at_once(30, patch)
    assert Counter(statuses) == {200: 1, 409: 29}
    order.refresh_from_db()
    assert order.status in (OrderStatus.FULFILLED, OrderStatus.CANCELLED)
    assert _history_count(order) == 2


# --- 9. A write-only caller sees the id, not the record -------------------------------------


def test_a_write_only_caller_placing_an_order_gets_its_id_only(customer):
    response = client_with_scopes("orders:write").post("/api/orders/", BODY, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": Order.objects.get().pk}


def test_a_write_only_caller_changing_an_order_gets_its_id_only():
    order = OrderFactory()
    client = client_with_scopes("orders:write")
    response = client.patch(f"/api/orders/{order.pk}/", {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": order.pk}
    assert client.patch(f"/api/orders/{order.pk}/", {}, format="json").status_code == 400


def test_a_write_only_callers_idempotent_replay_shows_the_id_only(customer):
    client = client_with_scopes("orders:write")
    first = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    replay = client.post("/api/orders/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay["Idempotent-Replayed"] == "true"
    assert first.json() == replay.json() == {"id": Order.objects.get().pk}


def test_a_caller_with_read_and_write_gets_the_whole_order(customer):
    response = client_with_scopes("orders:write", "orders:read").post(
        "/api/orders/", BODY, format="json"
    )
    assert response.status_code == 201
    assert response.json()["item"] == "Amoxicillin"


def test_a_write_only_caller_resending_an_sms_sees_no_order_data():
    from notifications.models import SmsStatus
    from notifications.services import queue_order_notification

    order = OrderFactory()
    notification = queue_order_notification(order=order)
    notification.status = SmsStatus.FAILED
    notification.save()
    response = client_with_scopes("orders:write").post(f"/api/orders/{order.pk}/sms/resend/")
    assert response.status_code == 202
    assert response.json() == {}


# --- 14. Single-line text fields ------------------------------------------------------------


@pytest.mark.parametrize("field", ["item", "physician_name"])
@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\tb", "a\x1b[31mb", "a\x7fb", "a\x85b"])
def test_single_line_fields_refuse_control_characters(api_client, customer, field, value):
    response = api_client.post("/api/orders/", {**BODY, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    order = OrderFactory()
    response = api_client.patch(f"/api/orders/{order.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()


# --- 16. The history names the customer by code ---------------------------------------------


def test_the_history_shows_the_customer_code_not_its_internal_key(api_client, customer):
    order_id = api_client.post("/api/orders/", BODY, format="json").json()["id"]
    history = api_client.get(f"/api/orders/{order_id}/history/").json()
    (created,) = [entry for entry in history if entry["action"] == "created"]
    fields = {change["field"]: change["new"] for change in created["changes"]}
    assert fields["customer_code"] == "CUST001"
    assert "customer_id" not in fields
    assert "customer" not in fields
