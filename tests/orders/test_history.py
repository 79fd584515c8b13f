from __future__ import annotations

import pytest

from customers.models import Customer
from identity.models import Identity
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_every_change_to_an_order_is_in_its_history(api_client, user):
    CustomerFactory(code="C1")
    order_id = api_client.post(
        "/api/orders/",
        {"customer_code": "C1", "item": "Aspirin", "amount": "10", "physician_name": "Dr A"},
    ).json()["id"]
    api_client.patch(f"/api/orders/{order_id}/", {"item": "Ibuprofen", "amount": "12.5"})
    api_client.patch(f"/api/orders/{order_id}/", {"status": "cancelled"})

    response = api_client.get(f"/api/orders/{order_id}/history/")

    assert response.status_code == 200
    created, corrected, cancelled = [e for e in response.json() if e["action"] != "sms"]
    assert [e["action"] for e in (created, corrected, cancelled)] == [
        "created",
        "updated",
        "updated",
    ]
    who = {"issuer": "built-in", "subject": str(user.pk)}
    assert [e["changed_by"] for e in (created, corrected, cancelled)] == [who, who, who]
    assert {"field": "item", "old": None, "new": "Aspirin"} in created["changes"]
    assert {"field": "amount", "old": None, "new": "10.00"} in created["changes"]
    assert sorted(corrected["changes"], key=lambda c: c["field"]) == [
        {"field": "amount", "old": "10.00", "new": "12.50"},
        {"field": "item", "old": "Aspirin", "new": "Ibuprofen"},
    ]
    assert cancelled["changes"] == [{"field": "status", "old": "placed", "new": "cancelled"}]
    assert created["at"] <= corrected["at"] <= cancelled["at"]


def test_a_refused_change_leaves_no_trace(api_client):
    order = OrderFactory(status="fulfilled")
    api_client.patch(f"/api/orders/{order.pk}/", {"status": "placed"})
    assert len(api_client.get(f"/api/orders/{order.pk}/history/").json()) == 1


def test_history_of_an_unknown_order_is_404(api_client):
    assert api_client.get("/api/orders/999999/history/").status_code == 404


def test_history_needs_authentication(anonymous_client):
    order = OrderFactory()
    assert anonymous_client.get(f"/api/orders/{order.pk}/history/").status_code in (401, 403)


def test_customer_changes_and_deletion_are_recorded(api_client, user):
    CustomerFactory(code="C2", name="Before")
    api_client.patch("/api/customers/C2/", {"name": "After"})
    api_client.delete("/api/customers/C2/")
    records = Customer.history.filter(code="C2").order_by("history_date")
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert [r.history_user for r in records][1:] == [user, user]


def test_admin_shows_an_orders_history(admin_client):
    order = OrderFactory()
    response = admin_client.get(f"/admin/orders/order/{order.pk}/history/")
    assert response.status_code == 200


def test_history_names_a_token_caller_by_issuer_and_subject(api_client, user):
    Identity.objects.create(user=user, issuer="https://idp.example.com/", subject="auth0|42")
    order_id = api_client.post(
        "/api/orders/",
        {"customer_code": "C3", "item": "Aspirin", "amount": "10", "physician_name": "Dr A"},
    ).json()["id"]
    created, queued = api_client.get(f"/api/orders/{order_id}/history/").json()
    assert (queued["action"], queued["changed_by"]) == ("sms", None)
    assert created["changed_by"] == {"issuer": "https://idp.example.com/", "subject": "auth0|42"}


@pytest.fixture(autouse=True)
def _customer_c3():
    CustomerFactory(code="C3")
