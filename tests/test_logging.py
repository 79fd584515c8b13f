from __future__ import annotations

import base64
import json
import logging

import pytest
from django.core.management import call_command

from config.logging import ConsoleFormatter, JsonFormatter, RequestIdFilter, request_id_var
from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from notifications.backends import locmem
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _request_lines(caplog):
    return [r for r in caplog.records if r.name == "requests"]


def test_request_id_from_the_caller_is_echoed_and_logged(api_client, caplog):
    caplog.set_level(logging.INFO)
    response = api_client.get("/api/customers/", HTTP_X_REQUEST_ID="req-42.abc")
    assert response["X-Request-ID"] == "req-42.abc"
    (line,) = _request_lines(caplog)
    assert line.request_id == "req-42.abc"


def test_request_id_is_generated_when_missing(api_client):
    first = api_client.get("/api/customers/")["X-Request-ID"]
    second = api_client.get("/api/customers/")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


@pytest.mark.parametrize("incoming", ["has space", "new\nline", "x" * 129, "<script>"])
def test_unsafe_request_ids_are_replaced(api_client, incoming):
    assert api_client.get("/api/customers/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] != incoming


def test_one_line_per_request_with_its_fields(api_client, caplog, user):
    caplog.set_level(logging.INFO)
    api_client.get("/api/customers/?search=secret-query")
    (line,) = _request_lines(caplog)
    assert line.getMessage() == "request"
    assert (line.method, line.path, line.status) == ("GET", "/api/customers/", 200)
    assert line.duration_ms >= 0
    assert line.user_id == user.pk
    # Query strings carry secrets (the delivery-report token), so they are never logged.
    assert "secret-query" not in JsonFormatter().format(line)


def test_a_token_callers_subject_is_logged_never_their_token(anonymous_client, caplog):
    secret = ensure_dev_clients(callback_url="http://testserver/auth/callback/").api_client_secret
    token = anonymous_client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "customers:read"},
        format="multipart",
        HTTP_AUTHORIZATION="Basic "
        + base64.b64encode(f"{DEV_API_CLIENT_ID}:{secret}".encode()).decode(),
    ).json()["access_token"]
    caplog.set_level(logging.INFO)
    anonymous_client.get("/api/customers/", HTTP_AUTHORIZATION=f"Bearer {token}")
    (line,) = [r for r in _request_lines(caplog) if r.path == "/api/customers/"]
    assert line.sub == DEV_API_CLIENT_ID
    assert token not in JsonFormatter().format(line)


def test_json_lines_carry_event_fields_and_request_id():
    record = logging.LogRecord("orders", logging.INFO, __file__, 1, "order_placed", None, None)
    record.order_id = 7
    token = request_id_var.set("rid-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "order_placed"
    assert entry["order_id"] == 7
    assert entry["request_id"] == "rid-1"
    assert entry["level"] == "INFO"
    assert "order_id=7" in ConsoleFormatter().format(record)


def test_no_phone_number_name_or_secret_in_any_log_line_during_an_orders_life(
    api_client, anonymous_client, caplog, settings
):
    settings.AFRICASTALKING_CALLBACK_SECRET = "callback-secret-in-logging-test"
    locmem.outbox.clear()
    caplog.set_level(logging.DEBUG)
    CustomerFactory(code="OTHER")
    api_client.post(
        "/api/customers/",
        {
            "code": "CUST007",
            "name": "Jamesina Bondarenko",
            "contact_number": "0712345678",
            "email": "j@example.com",
        },
    )
    order = api_client.post(
        "/api/orders/",
        {"customer_code": "CUST007", "item": "Paracetamol", "amount": 50, "physician_name": "X"},
    ).json()
    api_client.get("/api/orders/")
    call_command("sms_worker", "--once")  # sends through the locmem backend
    (sent,) = locmem.outbox
    assert sent.to == "+254712345678"
    anonymous_client.post(
        "/api/sms/delivery-reports/?token=callback-secret-in-logging-test",
        {"id": sent.message_id, "status": "Success", "phoneNumber": sent.to, "networkCode": "639"},
        format="multipart",
    )
    anonymous_client.post(
        "/api/sms/delivery-reports/?token=wrong-secret-in-logging-test",
        {"id": sent.message_id, "status": "Success", "phoneNumber": sent.to},
        format="multipart",
    )
    api_client.patch(f"/api/orders/{order['id']}/", {"status": "fulfilled"})
    api_client.post("/api/customers/", {"code": "BAD", "contact_number": "+25470007007"})

    assert api_client.get(f"/api/orders/{order['id']}/").json()["sms"]["status"] == "delivered"
    assert len(caplog.records) > 5, "expected the life of the order to be logged"
    for record in caplog.records:
        text = JsonFormatter().format(record) + ConsoleFormatter().format(record)
        for secret in (
            "712345678",
            "Jamesina",
            "Bondarenko",
            "25470007007",
            "callback-secret-in-logging-test",
            "wrong-secret-in-logging-test",
        ):
            assert secret not in text, text
