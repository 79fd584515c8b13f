"""Each kind of message: queued once by its transition (and not when the transition is
refused), delivered, retried and reported through the gateway double over real HTTP."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import transaction

from notifications.models import SmsKind, SmsNotification, SmsStatus
from orders.models import Order, OrderStatus
from orders.services import order_update
from tests.factories import CustomerFactory, OrderFactory
from tests.notifications.conftest import (
    CALLBACK_SECRET,
    place,
    run_one_step,
    run_worker_once,
    sms_of,
    wait_for_backoff,
)

pytestmark = pytest.mark.django_db

KIND_OF = {"fulfilled": SmsKind.ORDER_READY, "cancelled": SmsKind.ORDER_CANCELLED}


def kinds(order: Order) -> list[str]:
    return list(
        SmsNotification.objects.filter(order=order)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )


@pytest.mark.parametrize("target", ["fulfilled", "cancelled"])
def test_the_transition_queues_its_message_once(api_client, target):
    order = place()
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": target})
    assert response.status_code == 200
    assert [n["kind"] for n in response.json()["notifications"]] == [
        "order_received",
        KIND_OF[target],
    ]
    assert response.json()["notifications"][1]["status"] == "queued"
    assert kinds(order) == ["order_received", KIND_OF[target]]
    sms = sms_of(order, KIND_OF[target])
    assert sms.phone_number == order.customer.contact_number


@pytest.mark.parametrize(
    ("start", "target"),
    [("fulfilled", "cancelled"), ("cancelled", "fulfilled"), ("fulfilled", "placed")],
)
def test_a_refused_transition_queues_nothing(api_client, start, target):
    order = place()
    order_update(order=order, status=start)
    before = kinds(order)
    response = api_client.patch(f"/api/orders/{order.pk}/", {"status": target})
    assert response.status_code == 409
    assert kinds(order) == before


def test_corrections_and_unknown_statuses_queue_nothing(api_client):
    order = place()
    assert api_client.patch(f"/api/orders/{order.pk}/", {"item": "Other"}).status_code == 200
    assert api_client.patch(f"/api/orders/{order.pk}/", {"status": "shipped"}).status_code == 400
    assert kinds(order) == ["order_received"]


def test_a_rolled_back_status_change_leaves_no_message():
    order = place()

    def cancel_then_fail() -> None:
        with transaction.atomic():
            order_update(order=order, status="cancelled")
            raise RuntimeError("something after the change failed")

    with pytest.raises(RuntimeError):
        cancel_then_fail()
    assert kinds(order) == ["order_received"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED


def test_an_order_from_before_sms_still_gets_its_ready_message():
    order = OrderFactory()
    order_update(order=order, status="fulfilled")
    assert kinds(order) == ["order_ready"]


@pytest.mark.parametrize("target", ["fulfilled", "cancelled"])
def test_every_kind_is_delivered_through_the_gateway_and_reported(
    api_client, anonymous_client, sms_settings, gateway, target
):
    customer = CustomerFactory(name="Amina Wafula", contact_number="+254711000042")
    order = place(customer, item="Amoxicillin 500mg")
    run_worker_once()
    api_client.patch(f"/api/orders/{order.pk}/", {"status": target})
    run_worker_once()

    texts = [m.message for m in gateway.accepted]
    assert len(texts) == 2
    assert texts[0].startswith("Hi Amina, the clinic has received your order")
    expected = "is ready for collection" if target == "fulfilled" else "has been cancelled"
    assert expected in texts[1]
    assert all("Amoxicillin" not in text for text in texts)
    assert {r.form["to"] for r in gateway.requests} == {"+254711000042"}

    second = sms_of(order, KIND_OF[target])
    assert (second.status, second.attempts) == (SmsStatus.SENT, 1)
    report = anonymous_client.post(
        f"/api/sms/delivery-reports/?token={CALLBACK_SECRET}",
        urlencode({"id": second.provider_message_id, "status": "Success"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert report.status_code == 200
    statuses = [
        n["status"] for n in api_client.get(f"/api/orders/{order.pk}/").json()["notifications"]
    ]
    assert statuses == ["sent", "delivered"]


def test_a_ready_message_is_retried_when_the_gateway_fails_then_sent(sms_settings, gateway):
    order = place()
    run_worker_once()
    order_update(order=order, status="fulfilled")
    gateway.fail_next = 1
    assert run_one_step() == 1
    ready = sms_of(order, SmsKind.ORDER_READY)
    assert (ready.status, ready.attempts) == (SmsStatus.QUEUED, 1)
    assert "HTTP 503" in ready.last_error
    wait_for_backoff()
    run_worker_once()
    ready.refresh_from_db()
    assert (ready.status, ready.attempts) == (SmsStatus.SENT, 2)
    assert len(gateway.accepted) == 2


def test_a_cancelled_message_to_a_refused_number_fails_at_once(sms_settings, gateway):
    order = place()
    run_worker_once()
    gateway.statuses[order.customer.contact_number] = (403, "InvalidPhoneNumber")
    order_update(order=order, status="cancelled")
    run_worker_once()
    cancelled = sms_of(order, SmsKind.ORDER_CANCELLED)
    assert cancelled.status == SmsStatus.FAILED
    assert "InvalidPhoneNumber" in cancelled.last_error


@pytest.mark.parametrize("target", ["fulfilled", "cancelled"])
def test_a_swahili_patient_gets_swahili_for_every_kind(sms_settings, gateway, target):
    customer = CustomerFactory(name="Baraka Otieno", preferred_language="sw")
    order = place(customer)
    order_update(order=order, status=target)
    run_worker_once()
    texts = sorted(m.message for m in gateway.accepted)
    expected_second = "liko tayari kuchukuliwa" if target == "fulfilled" else "limeghairiwa"
    assert len(texts) == 2
    assert all(text.startswith("Habari Baraka,") for text in texts)
    assert any("imepokea agizo lako" in text for text in texts)
    assert any(expected_second in text for text in texts)
    assert set(SmsNotification.objects.values_list("language", flat=True)) == {"sw"}


def test_the_language_is_the_patients_when_the_message_is_queued():
    customer = CustomerFactory(preferred_language="en")
    order = place(customer)
    customer.preferred_language = "sw"
    customer.save()
    order_update(order=order, status="fulfilled")
    assert [n.language for n in SmsNotification.objects.order_by("id")] == ["en", "sw"]


def test_the_history_shows_each_messages_status_changes(api_client, sms_settings, gateway):
    order = place()
    run_worker_once()
    api_client.patch(f"/api/orders/{order.pk}/", {"status": "fulfilled"})
    gateway.statuses[order.customer.contact_number] = (406, "UserInBlacklist")
    run_worker_once()

    history = api_client.get(f"/api/orders/{order.pk}/history/").json()
    sms = [e for e in history if e["action"] == "sms"]
    changes = [(c["field"], c["old"], c["new"]) for e in sms for c in e["changes"]]
    assert changes == [
        ("sms.order_received.status", None, "queued"),
        ("sms.order_received.status", "queued", "sent"),
        ("sms.order_ready.status", None, "queued"),
        ("sms.order_ready.status", "queued", "failed"),
        ("sms.order_ready.note", None, "Africa's Talking: UserInBlacklist (status 406)"),
    ]
    assert all(e["changed_by"] is None for e in sms)
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
