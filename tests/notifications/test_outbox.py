"""The outbox: written with the order, one per order and kind, rendered from the templates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from notifications.backends import locmem
from notifications.models import SmsKind, SmsNotification, SmsStatus
from notifications.services import queue_order_notification
from orders.services import order_update
from tests.factories import CustomerFactory, OrderFactory
from tests.notifications.conftest import place, run_worker_once

pytestmark = pytest.mark.django_db


def test_placing_an_order_through_the_api_queues_its_sms(api_client):
    customer = CustomerFactory()
    response = api_client.post(
        "/api/orders/",
        {"customer_code": customer.code, "item": "Amoxil", "amount": 50, "physician_name": "Dr"},
    )
    assert response.status_code == 201
    body = response.json()
    # `sms` keeps the shape clients already read.
    assert body["sms"] | {"updated_at": None} == {
        "status": "queued",
        "attempts": 0,
        "last_error": "",
        "provider_message_id": "",
        "updated_at": None,
    }
    [notification] = body["notifications"]
    assert notification | {"updated_at": None} == {
        "kind": "order_received",
        "status": "queued",
        "language": "en",
        "encoding": "GSM-7",
        "segments": 1,
        "attempts": 0,
        "last_error": "",
        "provider_message_id": "",
        "updated_at": None,
    }
    assert notification["updated_at"] == body["sms"]["updated_at"]
    sms = SmsNotification.objects.get()
    assert (sms.phone_number, sms.kind) == (customer.contact_number, SmsKind.ORDER_RECEIVED)
    assert locmem.outbox == []  # sending is the worker's job, never the request's


def test_the_worker_sends_queued_messages_through_the_configured_backend():
    order = place()
    run_worker_once()
    [sms] = locmem.outbox
    assert sms.to == order.customer.contact_number
    assert SmsNotification.objects.get().status == SmsStatus.SENT


def test_an_order_has_at_most_one_message_of_each_kind():
    order = place()
    with pytest.raises(IntegrityError):
        queue_order_notification(order=order)


def test_orders_placed_before_sms_existed_show_no_sms(api_client):
    order = OrderFactory()
    body = api_client.get(f"/api/orders/{order.pk}/").json()
    assert (body["sms"], body["notifications"]) == (None, [])


def test_the_message_names_first_name_reference_facility_and_amount_but_not_the_item(settings):
    settings.SMS_FACILITY_NAME = "Uzima Pharmacy"
    order = place(
        CustomerFactory(name="Wanjiku\u00a0Kamau"), item="Amoxicillin 500mg", amount=Decimal("1250")
    )
    sms = SmsNotification.objects.get()
    assert sms.message == (
        f"Hi Wanjiku, Uzima Pharmacy has received your order #{order.pk} for KES 1,250.00."
    )
    assert "Amoxicillin" not in sms.message
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


def test_the_texts_come_from_settings(settings):
    settings.SMS_TEMPLATES = {
        **settings.SMS_TEMPLATES,
        ("order_received", "en"): "{reference}|{first_name}|{facility}|{amount}\u202f",
    }
    order = place(CustomerFactory(name="Ann Otieno"), amount=Decimal("5"))
    assert SmsNotification.objects.get().message == f"{order.pk}|Ann|the clinic|5.00"


def test_the_message_is_normalised_to_the_gsm_alphabet_and_its_cost_recorded():
    place(CustomerFactory(name="O\u2019Brien\u2014Atieno Kamau"))
    sms = SmsNotification.objects.get()
    assert sms.message.startswith("Hi O'Brien-Atieno,")
    assert (sms.encoding, sms.segments) == ("GSM-7", 1)


@pytest.mark.parametrize(
    ("name", "segments"),
    [
        ("\u674e\u5c0f\u9f99 Lee", 1),  # Chinese: the message stays under 70 characters
        ("\u0641\u0627\u0637\u0645\u0629 Hassan", 1),  # Arabic, a short first name
        # Arabic, long enough that the message takes two 67-character segments.
        ("\u0641\u0627\u0637\u0645\u0629" * 4 + " Hassan", 2),
    ],
)
def test_a_name_in_another_script_is_sent_as_ucs2_and_counted_right(name, segments):
    place(CustomerFactory(name=name))
    sms = SmsNotification.objects.get()
    assert sms.encoding == "UCS-2"
    assert name.split()[0] in sms.message
    assert sms.segments == segments
    assert (len(sms.message) <= 70) is (segments == 1)


def test_listing_orders_with_all_their_messages_is_one_query_whatever_the_page_size(
    api_client, django_assert_num_queries
):
    orders = [place() for _ in range(12)]
    order_update(order=orders[0], status="fulfilled")
    order_update(order=orders[1], status="cancelled")
    # One query: orders joined with their customer, each with its messages as one JSON
    # column (cursor pages need no COUNT).
    with django_assert_num_queries(1):
        body = api_client.get("/api/orders/", {"page_size": 1}).json()
    assert body["results"][0]["sms"]["status"] == "queued"
    with django_assert_num_queries(1):
        results = api_client.get("/api/orders/", {"page_size": 12}).json()["results"]
    assert len(results) == 12
    kinds = {r["id"]: [n["kind"] for n in r["notifications"]] for r in results}
    assert kinds[orders[0].pk] == ["order_received", "order_ready"]
    assert kinds[orders[1].pk] == ["order_received", "order_cancelled"]
    assert kinds[orders[2].pk] == ["order_received"]
