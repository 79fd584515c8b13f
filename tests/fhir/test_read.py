"""Reads and vreads over HTTP: versions from the audit trail, ETag and Last-Modified, 404 and
410, content negotiation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.http import http_date

from customers.models import Customer
from customers.services import customer_create, customer_delete, customer_update
from notifications.backends import TransportError
from notifications.models import SmsKind, SmsNotification
from orders.services import order_update, place_order
from tests.fhir.conftest import BASE, assert_outcome, fhir_get, work_outbox

pytestmark = pytest.mark.django_db


def make_customer(code: str = "CUST_007", **fields) -> Customer:
    values = {
        "code": code,
        "name": "Wanjiru Kamau",
        "contact_number": "+254712345678",
        "email": "wanjiru@example.com",
    }
    return customer_create(**(values | fields))


def place(customer: Customer, item: str = "Amoxicillin 500mg"):
    return place_order(
        customer=customer, item=item, amount=Decimal("1250.50"), physician_name="Dr Otieno"
    )


def latest_history_id(row) -> int:
    return row.history.order_by("-history_date", "-history_id").first().history_id


def test_patient_read_carries_its_audit_trail_version(fhir_client):
    customer = make_customer(insurance_number="SHA-1")
    customer_update(customer=customer, name="Wanjiru K.")
    record = customer.history.order_by("-history_date").first()

    response = fhir_get(fhir_client, "Patient/CUST.007")

    assert response.status_code == 200
    patient = response.json()
    assert patient["id"] == "CUST.007"
    assert patient["name"] == [{"text": "Wanjiru K."}]
    assert patient["meta"]["versionId"] == str(record.history_id)
    assert response["ETag"] == f'W/"{record.history_id}"'
    assert response["Last-Modified"] == http_date(record.history_date.timestamp())


def test_patient_language_follows_the_preferred_language_in_each_version(fhir_client):
    customer = make_customer()
    english = latest_history_id(customer)
    customer_update(customer=customer, preferred_language="sw")

    def language(path: str) -> str:
        patient = fhir_get(fhir_client, path).json()
        return str(patient["communication"][0]["language"]["coding"][0]["code"])

    assert language("Patient/CUST.007") == "sw"
    assert language(f"Patient/CUST.007/_history/{english}") == "en"
    bundle = fhir_get(fhir_client, "Patient", data={"_id": "CUST.007"}).json()
    assert bundle["entry"][0]["resource"]["communication"][0]["language"]["coding"][0] == {
        "system": "urn:ietf:bcp:47",
        "code": "sw",
        "display": "Swahili",
    }


def test_patient_ids_are_case_sensitive(fhir_client):
    make_customer()
    assert_outcome(fhir_get(fhir_client, "Patient/cust.007"), 404, "not-found")


def test_vread_serves_an_earlier_version(fhir_client):
    customer = make_customer()
    first = latest_history_id(customer)
    customer_update(customer=customer, name="Wanjiru K.")

    response = fhir_get(fhir_client, f"Patient/CUST.007/_history/{first}")

    assert response.status_code == 200
    assert response.json()["name"] == [{"text": "Wanjiru Kamau"}]
    assert response.json()["meta"]["versionId"] == str(first)
    assert response["ETag"] == f'W/"{first}"'


def test_vread_of_another_patients_version_is_404(fhir_client):
    make_customer()
    other = make_customer("OTHER", contact_number="+254712345679")
    assert_outcome(
        fhir_get(fhir_client, f"Patient/CUST.007/_history/{latest_history_id(other)}"), 404
    )


def test_deleted_patient_is_410_and_its_history_still_reads(fhir_client):
    customer = make_customer()
    first = latest_history_id(customer)
    customer_delete(customer=customer)
    deletion = Customer.history.filter(history_type="-").get().history_id

    assert_outcome(fhir_get(fhir_client, "Patient/CUST.007"), 410, "deleted")
    assert fhir_get(fhir_client, f"Patient/CUST.007/_history/{first}").status_code == 200
    assert_outcome(fhir_get(fhir_client, f"Patient/CUST.007/_history/{deletion}"), 410)


def test_a_new_patient_with_a_deleted_code_is_read_again(fhir_client):
    customer_delete(customer=make_customer())
    make_customer(name="Someone Else")
    response = fhir_get(fhir_client, "Patient/CUST.007")
    assert response.json()["name"] == [{"text": "Someone Else"}]


def test_medication_request_read_and_vread(fhir_client):
    order = place(make_customer())
    placed = latest_history_id(order)
    order_update(order=order, status="cancelled")

    current = fhir_get(fhir_client, f"MedicationRequest/{order.pk}")
    earlier = fhir_get(fhir_client, f"MedicationRequest/{order.pk}/_history/{placed}")

    assert current.json()["status"] == "cancelled"
    assert current.json()["subject"] == {"reference": "Patient/CUST.007"}
    assert current.json()["extension"][0]["valueMoney"] == {"value": 1250.5, "currency": "KES"}
    assert current.json()["extension"][0]["url"] == f"{BASE}/StructureDefinition/order-amount"
    assert current["ETag"] == f'W/"{latest_history_id(order)}"'
    assert earlier.json()["status"] == "active"
    assert earlier["ETag"] == f'W/"{placed}"'


def test_base_url_setting_is_used_in_urls(fhir_client, settings):
    settings.FHIR_BASE_URL = "https://orders.example.com/fhir/R4"
    order = place(make_customer())
    resource = fhir_get(fhir_client, f"MedicationRequest/{order.pk}").json()
    assert resource["extension"][0]["url"] == (
        "https://orders.example.com/fhir/R4/StructureDefinition/order-amount"
    )


def test_medication_dispense_exists_only_for_fulfilled_orders(fhir_client):
    order = place(make_customer())
    assert_outcome(fhir_get(fhir_client, f"MedicationDispense/{order.pk}"), 404)

    order_update(order=order, status="fulfilled")
    fulfilled = order.history.order_by("-history_date").first()
    response = fhir_get(fhir_client, f"MedicationDispense/{order.pk}")

    dispense = response.json()
    assert dispense["status"] == "completed"
    assert dispense["authorizingPrescription"] == [{"reference": f"MedicationRequest/{order.pk}"}]
    assert dispense["whenHandedOver"] == fulfilled.history_date.isoformat().replace("+00:00", "Z")
    placed = order.history.order_by("history_date").first().history_id
    assert_outcome(fhir_get(fhir_client, f"MedicationDispense/{order.pk}/_history/{placed}"), 404)
    assert (
        fhir_get(
            fhir_client, f"MedicationDispense/{order.pk}/_history/{fulfilled.history_id}"
        ).status_code
        == 200
    )


def test_communication_read_has_no_version_and_no_phone_number(fhir_client):
    order = place(make_customer())
    sms = SmsNotification.objects.get(order=order, kind=SmsKind.ORDER_RECEIVED)
    work_outbox({sms.pk: TransportError("InvalidPhoneNumber", permanent=True)})

    response = fhir_get(fhir_client, f"Communication/{sms.pk}")

    resource = response.json()
    assert resource["status"] == "not-done"
    assert resource["statusReason"] == {"text": "InvalidPhoneNumber"}
    assert resource["about"] == [{"reference": f"MedicationRequest/{order.pk}"}]
    assert resource["payload"][0]["contentString"] == sms.message
    assert "versionId" not in resource["meta"]
    assert "ETag" not in response
    assert "Last-Modified" in response
    assert "+254712345678" not in response.content.decode()
    assert_outcome(fhir_get(fhir_client, f"Communication/{sms.pk}/_history/1"), 404)


@pytest.mark.parametrize(
    "path",
    [
        "Patient/NOPE",
        "Patient/a_b",
        "Patient/" + "x" * 65,
        "MedicationRequest/999999",
        "MedicationRequest/abc",
        "MedicationRequest/%D9%A1",  # Arabic-Indic one
        "MedicationRequest/%C2%B2",  # superscript two
        "MedicationRequest/0",
        "MedicationRequest/" + "9" * 30,
        "MedicationRequest/1/_history/%C2%B2",
        "Communication/-1",
        "Observation/1",
        "P%D0%B0tient/1",  # Cyrillic a
        "Patient/x/_history",
    ],
)
def test_unknown_or_malformed_addresses_are_404_outcomes(fhir_client, path):
    place(make_customer())
    assert_outcome(fhir_get(fhir_client, path), 404, "not-found")


def test_format_json_is_honoured_and_others_are_406(fhir_client):
    make_customer()
    for value in ("json", "application/fhir+json", "application/fhir json", "application/json"):
        assert fhir_get(fhir_client, "Patient/CUST.007", data={"_format": value}).status_code == 200
    for value in ("xml", "application/fhir+xml", "html", "turtle"):
        response = fhir_get(fhir_client, "Patient/CUST.007", data={"_format": value})
        assert_outcome(response, 406, "not-supported")


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/fhir+json", 200),
        ("application/fhir+json; fhirVersion=4.0", 200),
        ("application/json", 200),
        ("*/*", 200),
        ("text/html, application/fhir+json;q=0.9", 200),
        ("application/fhir+xml", 406),
        ("application/fhir+json; fhirVersion=3.0", 406),
        ("text/html", 406),
        ("application/fhir+json;q=0", 406),
    ],
)
def test_accept_header(fhir_client, accept, status):
    make_customer()
    response = fhir_get(fhir_client, "Patient/CUST.007", HTTP_ACCEPT=accept)
    if status == 200:
        assert response.status_code == 200
    else:
        assert_outcome(response, status)


def test_unknown_read_parameters_are_400_unless_lenient(fhir_client):
    make_customer()
    assert_outcome(fhir_get(fhir_client, "Patient/CUST.007", data={"_summary": "true"}), 400)
    lenient = fhir_get(
        fhir_client,
        "Patient/CUST.007",
        data={"_summary": "true"},
        HTTP_PREFER="handling=lenient",
    )
    assert lenient.status_code == 200


def test_pretty_output_is_indented(fhir_client):
    make_customer()
    response = fhir_get(fhir_client, "Patient/CUST.007", data={"_pretty": "true"})
    assert response.content.startswith(b'{\n  "resourceType"')
    assert_outcome(fhir_get(fhir_client, "Patient/CUST.007", data={"_pretty": "yes"}), 400)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_are_not_supported(fhir_client, method):
    make_customer()
    response = getattr(fhir_client, method)("/fhir/R4/Patient/CUST.007", {})
    assert_outcome(response, 405, "not-supported")
