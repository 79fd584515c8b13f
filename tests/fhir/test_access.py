"""Who may read what through the FHIR facade: the REST API's tokens and sessions, our scopes
and SMART system scopes, from the built-in provider and from a real external one."""

from __future__ import annotations

import base64
import json
import logging
from decimal import Decimal

import pytest

from customers.services import customer_create
from identity.authentication import SESSION_GRANT_KEY
from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from notifications.models import SmsKind, SmsNotification
from orders.services import order_update, place_order
from tests.factories import UserFactory
from tests.fhir.conftest import assert_outcome, client_with, fhir_get, matches

pytestmark = pytest.mark.django_db

PHONE = "+254712345678"
NAME = "Wanjiru Kamau"


@pytest.fixture
def records():
    customer = customer_create(
        code="CUST1", name=NAME, contact_number=PHONE, email="wanjiru@example.com"
    )
    order = place_order(
        customer=customer, item="Amoxicillin", amount=Decimal("50"), physician_name="Dr Otieno"
    )
    order_update(order=order, status="fulfilled")
    ready = SmsNotification.objects.get(order=order, kind=SmsKind.ORDER_READY)
    return {
        "Patient": "Patient/CUST1",
        "MedicationRequest": f"MedicationRequest/{order.pk}",
        "MedicationDispense": f"MedicationDispense/{order.pk}",
        "Communication": f"Communication/{ready.pk}",
    }


TYPES = ["Patient", "MedicationRequest", "MedicationDispense", "Communication"]


def test_anonymous_callers_get_401_with_the_bearer_challenge(anonymous_client, records):
    for path in [*records.values(), "Patient", "MedicationRequest?status=active"]:
        response = fhir_get(anonymous_client, path)
        assert_outcome(response, 401, "login")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_invalid_token_is_401_invalid_token(anonymous_client, records):
    response = fhir_get(anonymous_client, "Patient/CUST1", HTTP_AUTHORIZATION="Bearer nonsense")
    assert_outcome(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.parametrize(
    ("scopes", "readable"),
    [
        (["customers:read"], {"Patient"}),
        (["orders:read"], {"MedicationRequest", "MedicationDispense", "Communication"}),
        (["customers:write", "orders:write"], set()),
        (["system/Patient.rs"], {"Patient"}),
        (["system/Patient.read"], {"Patient"}),
        (["system/MedicationDispense.rs"], {"MedicationDispense"}),
        (["system/Communication.read"], {"Communication"}),
        (["system/*.rs"], set(TYPES)),
        (["system/*.read"], set(TYPES)),
        (["system/*.cruds"], set(TYPES)),
        (["system/Patient.r"], set()),
        (["system/Patient.s"], set()),
        (["system/Patient.write"], set()),
        (["patient/Patient.rs"], set()),
        (["user/*.rs"], set()),
        (["system/Patient.rs?identifier=x"], set()),
        (["system/Observation.rs"], set()),
    ],
)
def test_scopes_decide_which_types_are_readable(records, scopes, readable):
    client = client_with(*scopes)
    for resource_type in TYPES:
        read = fhir_get(client, records[resource_type])
        found = fhir_get(client, resource_type)
        if resource_type in readable:
            assert read.status_code == 200
            assert found.status_code == 200
        else:
            outcome = assert_outcome(read, 403, "forbidden")
            assert "insufficient_scope" in read["WWW-Authenticate"]
            assert "system/" in outcome["issue"][0]["diagnostics"]
            assert_outcome(found, 403)


def test_smart_scopes_grant_nothing_on_the_rest_api(records):
    client = client_with("system/*.rs")
    assert client.get("/api/customers/").status_code == 403
    assert client.get("/api/orders/").status_code == 403


def test_sms_text_only_for_callers_who_may_read_orders(records):
    without = fhir_get(client_with("system/Communication.rs"), records["Communication"]).json()
    with_orders = fhir_get(
        client_with("system/Communication.rs", "system/MedicationRequest.rs"),
        records["Communication"],
    ).json()
    assert "payload" not in without
    assert with_orders["payload"][0]["contentString"].startswith("Hi Wanjiru")
    listed = fhir_get(client_with("system/Communication.rs"), "Communication").json()
    listed_with_orders = fhir_get(
        client_with("system/Communication.rs", "orders:read"), "Communication"
    ).json()
    # The order's two messages (received, ready): the rule holds for each.
    assert len(listed["entry"]) == len(listed_with_orders["entry"]) == 2
    assert all("payload" not in entry["resource"] for entry in listed["entry"])
    assert all("payload" in entry["resource"] for entry in listed_with_orders["entry"])


def test_including_patients_needs_patient_access(records):
    response = fhir_get(
        client_with("orders:read"),
        "MedicationRequest",
        data={"_include": "MedicationRequest:patient"},
    )
    assert_outcome(response, 403)
    allowed = fhir_get(
        client_with("orders:read", "customers:read"),
        "MedicationRequest",
        data={"_include": "MedicationRequest:patient"},
    )
    assert matches(allowed.json(), "include") == ["Patient/CUST1"]


def test_browser_session_reads_with_the_scopes_of_its_login(client, records):
    user = UserFactory()
    client.force_login(user)
    session = client.session
    session[SESSION_GRANT_KEY] = {"issuer": "tests", "subject": "1", "scopes": ["customers:read"]}
    session.save()

    assert fhir_get(client, "Patient/CUST1").status_code == 200
    assert_outcome(fhir_get(client, records["MedicationRequest"]), 403)


def test_session_post_search_needs_the_csrf_token(records):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory())
    session = browser.session
    session[SESSION_GRANT_KEY] = {"issuer": "tests", "subject": "1", "scopes": ["customers:read"]}
    session.save()
    response = browser.post(
        "/fhir/R4/Patient/_search", "name=w", content_type="application/x-www-form-urlencoded"
    )
    assert_outcome(response, 403)


def _built_in_token(client, scope: str) -> str:
    secret = ensure_dev_clients(callback_url="http://testserver/auth/callback/").api_client_secret
    credentials = base64.b64encode(f"{DEV_API_CLIENT_ID}:{secret}".encode()).decode()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def test_built_in_provider_issues_smart_system_scopes(client, anonymous_client, records):
    token = _built_in_token(client, "system/Patient.rs")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert fhir_get(anonymous_client, "Patient/CUST1", **bearer).status_code == 200
    assert_outcome(fhir_get(anonymous_client, records["MedicationRequest"], **bearer), 403)
    assert anonymous_client.get("/api/customers/", **bearer).status_code == 403


def test_no_phone_number_or_name_in_the_logs(fhir_client, records, caplog):
    caplog.set_level(logging.DEBUG)
    for path in [
        *records.values(),
        "Patient?telecom=phone|" + PHONE.replace("+", "%2B"),
        f"Patient?name={NAME.split()[0]}",
        "Communication?patient=CUST1",
        "MedicationRequest?_include=MedicationRequest:patient",
    ]:
        assert fhir_get(fhir_client, path).status_code == 200
    fhir_client.post(
        "/fhir/R4/Patient/_search",
        f"telecom={PHONE.replace('+', '%2B')}",
        content_type="application/x-www-form-urlencoded",
    )
    logged = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records
    )
    assert caplog.records
    assert PHONE not in logged
    assert PHONE[1:] not in logged
    assert NAME not in logged
    assert NAME.split()[0] not in logged
