from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_the_schema_documents_the_sms_endpoints_and_the_orders_sms(schema):
    paths = schema["paths"]
    assert set(paths["/api/orders/{id}/sms/resend/"]) == {"post"}
    for callback in ("delivery-reports", "inbound", "opt-outs"):
        assert set(paths[f"/api/sms/{callback}/"]) == {"post"}
    assert set(paths["/api/customers/{code}/sms-opt-out/"]) == {"post", "delete"}
    properties = schema["components"]["schemas"]["Order"]["properties"]
    assert properties["sms"]["nullable"] is True
    assert properties["notifications"]["items"] == {"$ref": "#/components/schemas/Notification"}
    summary = schema["components"]["schemas"]["SmsSummary"]["properties"]
    assert set(summary) == {"status", "attempts", "last_error", "provider_message_id", "updated_at"}
    notification = schema["components"]["schemas"]["Notification"]["properties"]
    assert set(notification) == set(summary) | {"kind", "language", "encoding", "segments"}


def test_the_schema_names_the_enums(schema):
    enums = schema["components"]["schemas"]
    assert enums["SmsKindEnum"]["enum"] == ["order_received", "order_ready", "order_cancelled"]
    assert "suppressed" in enums["SmsStatusEnum"]["enum"]
    assert enums["LanguageEnum"]["enum"] == ["en", "sw"]
    assert enums["EncodingEnum"]["enum"] == ["GSM-7", "UCS-2"]


def test_the_customer_shows_its_language_and_read_only_opt_out(schema):
    customer = schema["components"]["schemas"]["Customer"]["properties"]
    assert customer["preferred_language"]["allOf"] == [
        {"$ref": "#/components/schemas/LanguageEnum"}
    ]
    for field in ("sms_opt_out", "sms_opt_out_at", "sms_opt_out_source"):
        assert customer[field]["readOnly"] is True
    request = schema["components"]["schemas"]["CustomerRequest"]["properties"]
    assert "preferred_language" in request
    assert "sms_opt_out" not in request


def test_the_opt_out_answers_the_customer_and_never_conflicts(schema):
    operations = schema["paths"]["/api/customers/{code}/sms-opt-out/"]
    for method in ("post", "delete"):
        responses = operations[method]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Customer"
        }
        assert "409" not in responses
        assert "requestBody" not in operations[method]


def test_resend_takes_an_optional_kind(schema):
    operation = schema["paths"]["/api/orders/{id}/sms/resend/"]["post"]
    assert operation["requestBody"].get("required", False) is False
    assert operation["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Notification"
    }


def test_history_entries_may_be_sms_changes(schema):
    action = schema["components"]["schemas"]["ActionEnum"]["enum"]
    assert action == ["created", "updated", "deleted", "sms"]
