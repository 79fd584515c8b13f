from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_sms_endpoints_and_the_orders_sms(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]["/api/orders/{id}/sms/resend/"]) == {"post"}
    assert set(schema["paths"]["/api/sms/delivery-reports/"]) == {"post"}
    sms = schema["components"]["schemas"]["Order"]["properties"]["sms"]
    assert sms["nullable"] is True
    summary = schema["components"]["schemas"]["SmsSummary"]["properties"]
    assert set(summary) == {"status", "attempts", "last_error", "provider_message_id", "updated_at"}
