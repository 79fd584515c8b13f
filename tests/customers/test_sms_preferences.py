"""A patient's SMS preferences in the customer API: the language, and the read-only opt-out."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Baraka Otieno",
    "code": "CUST042",
    "contact_number": "+254700070042",
    "email": "baraka@example.com",
}


def test_a_new_patient_is_written_to_in_english_and_gets_sms(api_client):
    body = api_client.post("/api/customers/", VALID).json()
    assert body["preferred_language"] == "en"
    assert (body["sms_opt_out"], body["sms_opt_out_at"], body["sms_opt_out_source"]) == (
        False,
        None,
        None,
    )


def test_the_language_is_set_on_create_read_and_changed(api_client):
    response = api_client.post("/api/customers/", {**VALID, "preferred_language": "sw"})
    assert response.status_code == 201
    assert api_client.get("/api/customers/CUST042/").json()["preferred_language"] == "sw"
    response = api_client.patch("/api/customers/CUST042/", {"preferred_language": "en"})
    assert response.status_code == 200
    assert Customer.objects.get().preferred_language == "en"


@pytest.mark.parametrize("language", ["fr", "SW", "", "swahili", None, 1])
def test_any_other_language_is_a_400_naming_the_field(api_client, language):
    response = api_client.post(
        "/api/customers/", {**VALID, "preferred_language": language}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["preferred_language"]
    assert not Customer.objects.exists()


def test_the_database_refuses_an_unknown_language():
    with pytest.raises(IntegrityError):
        CustomerFactory(preferred_language="fr")


def test_the_database_refuses_an_opt_out_without_its_time_and_source():
    with pytest.raises(IntegrityError):
        CustomerFactory(sms_opt_out=True)


def test_the_admin_edits_the_language(admin_client):
    customer = CustomerFactory(code="CUST9")
    page = admin_client.get(f"/admin/customers/customer/{customer.pk}/change/")
    assert page.status_code == 200
    assert b'name="preferred_language"' in page.content
    assert b'name="sms_opt_out"' not in page.content  # read-only: changed by the actions
