"""The outbox: written with the order, one per order, rendered from the template."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from notifications.backends import locmem
from notifications.messages import render_order_confirmation
from notifications.models import SmsNotification, SmsStatus
from notifications.services import queue_order_confirmation
from tests.factories import CustomerFactory, OrderFactory
from tests.notifications.conftest import place, run_worker_once

pytestmark = pytest.mark.django_db

# The GSM 03.38 basic alphabet: a message made only of these fits 160 characters a segment.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def test_placing_an_order_through_the_api_queues_its_sms(api_client):
    customer = CustomerFactory()
    response = api_client.post(
        "/api/orders/",
        {"customer_code": customer.code, "item": "Amoxil", "amount": 50, "physician_name": "Dr"},
    )
    assert response.status_code == 201
    assert response.json()["sms"] | {"updated_at": None} == {
        "status": "queued",
        "attempts": 0,
        "last_error": "",
        "provider_message_id": "",
        "updated_at": None,
    }
    notification = SmsNotification.objects.get()
    assert notification.phone_number == customer.contact_number
    assert locmem.outbox == []  # sending is the worker's job, never the request's


def test_the_worker_sends_queued_messages_through_the_configured_backend():
    order = place()
    run_worker_once()
    [sms] = locmem.outbox
    assert sms.to == order.customer.contact_number
    assert SmsNotification.objects.get().status == SmsStatus.SENT


def test_an_order_has_at_most_one_notification():
    order = place()
    with pytest.raises(IntegrityError):
        queue_order_confirmation(order=order)


def test_orders_placed_before_sms_existed_show_no_sms(api_client):
    order = OrderFactory()
    assert api_client.get(f"/api/orders/{order.pk}/").json()["sms"] is None


def test_the_message_names_customer_item_amount_and_reference_in_one_segment():
    order = place(
        CustomerFactory(name="Wanjiku\u00a0Kamau"), item="Amoxicillin 500mg", amount=Decimal("1250")
    )
    text = render_order_confirmation(order)
    assert "Wanjiku Kamau" in text
    assert "Amoxicillin 500mg" in text
    assert "1250.00" in text
    assert f"#{order.pk}" in text
    assert len(text) <= 160
    assert set(text) <= GSM7


def test_the_template_comes_from_settings(settings):
    settings.SMS_TEMPLATE = "{order_reference}|{customer_name}|{item}|{amount}\u202f"
    order = place(CustomerFactory(name="Ann"), item="X", amount=Decimal("5"))
    assert SmsNotification.objects.get().message == f"{order.pk}|Ann|X|5.00"


def test_listing_orders_with_their_sms_costs_the_same_queries_whatever_the_page_size(
    api_client, django_assert_num_queries
):
    for _ in range(12):
        place()
    # One query: orders joined with their customer and SMS (cursor pages need no COUNT).
    with django_assert_num_queries(1):
        body = api_client.get("/api/orders/", {"page_size": 1}).json()
    assert body["results"][0]["sms"]["status"] == "queued"
    with django_assert_num_queries(1):
        assert len(api_client.get("/api/orders/", {"page_size": 12}).json()["results"]) == 12
