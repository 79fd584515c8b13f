from __future__ import annotations

import pytest
from django.db import IntegrityError

from customers.models import Customer
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "James Bond",
    "code": "CUST007",
    "contact_number": "+254700070007",
    "email": "james@example.com",
    "insurance_number": "NHIF-007",
}


def test_original_readme_body_with_a_valid_number_is_created(api_client):
    response = api_client.post("/api/customers/", VALID)
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "CUST007"
    assert response.json()["contact_number"] == "+254700070007"
    assert Customer.objects.filter(code="CUST007").exists()


def test_add_alias_creates_a_customer(api_client):
    response = api_client.post("/api/customers/add/", VALID)
    assert response.status_code == 201
    assert Customer.objects.count() == 1


def test_add_alias_does_not_list(api_client):
    assert api_client.get("/api/customers/add/").status_code == 405


def test_original_readme_number_one_digit_short_is_a_400_naming_contact_number(api_client):
    response = api_client.post("/api/customers/", {**VALID, "contact_number": "+25470007007"})
    assert response.status_code == 400
    assert "contact_number" in response.json()
    assert not Customer.objects.exists()


def test_national_number_is_stored_in_e164(api_client):
    response = api_client.post("/api/customers/", {**VALID, "contact_number": "0712345678"})
    assert response.status_code == 201
    assert Customer.objects.get().contact_number == "+254712345678"


def test_landline_is_rejected(api_client):
    response = api_client.post("/api/customers/", {**VALID, "contact_number": "+254202222222"})
    assert response.status_code == 400
    assert "contact_number" in response.json()


def test_invalid_email_is_rejected(api_client):
    response = api_client.post("/api/customers/", {**VALID, "email": "not-an-email"})
    assert response.status_code == 400
    assert "email" in response.json()


def test_missing_fields_are_named(api_client):
    response = api_client.post("/api/customers/", {})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "code", "contact_number", "email"}


def test_insurance_number_is_optional(api_client):
    body = {k: v for k, v in VALID.items() if k != "insurance_number"}
    response = api_client.post("/api/customers/", body)
    assert response.status_code == 201
    assert response.json()["insurance_number"] == ""


def test_duplicate_code_in_another_case_is_rejected(api_client):
    CustomerFactory(code="CUST007")
    response = api_client.post("/api/customers/", {**VALID, "code": "cust007"})
    assert response.status_code == 400
    assert response.json() == {"code": ["A customer with this code already exists."]}


def test_code_keeps_its_case(api_client):
    api_client.post("/api/customers/", {**VALID, "code": "Cust007"})
    assert Customer.objects.get().code == "Cust007"


@pytest.mark.parametrize("code", ["add", "ADD", "has space", "slash/code", "-leading", "x" * 33])
def test_unusable_codes_are_rejected(api_client, code):
    response = api_client.post("/api/customers/", {**VALID, "code": code})
    assert response.status_code == 400
    assert "code" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {**VALID, "name": 42, "code": ["CUST007"]},
        {**VALID, "contact_number": {"n": 1}},
        {**VALID, "email": None},
    ],
)
def test_wrong_types_are_400(api_client, body):
    assert api_client.post("/api/customers/", body, format="json").status_code == 400


def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/customers/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_database_enforces_case_insensitive_uniqueness():
    CustomerFactory(code="CUST007")
    with pytest.raises(IntegrityError):
        CustomerFactory(code="cust007")


def test_database_rejects_a_contact_number_not_in_e164():
    with pytest.raises(IntegrityError):
        CustomerFactory(contact_number="0712345678")


def test_get_by_code_ignores_case(api_client):
    CustomerFactory(code="CUST007", name="James Bond")
    response = api_client.get("/api/customers/cust007/")
    assert response.status_code == 200
    assert response.json()["name"] == "James Bond"


def test_unknown_code_is_404(api_client):
    assert api_client.get("/api/customers/NOPE/").status_code == 404


def test_put_replaces_a_customer(api_client):
    CustomerFactory(code="CUST007")
    response = api_client.put(
        "/api/customers/CUST007/", {**VALID, "name": "Jane Bond", "contact_number": "0722000000"}
    )
    assert response.status_code == 200, response.json()
    customer = Customer.objects.get()
    assert customer.name == "Jane Bond"
    assert customer.contact_number == "+254722000000"


def test_patch_changes_one_field(api_client):
    CustomerFactory(code="CUST007", email="old@example.com", name="James")
    response = api_client.patch("/api/customers/CUST007/", {"email": "new@example.com"})
    assert response.status_code == 200
    customer = Customer.objects.get()
    assert (customer.email, customer.name) == ("new@example.com", "James")


def test_patch_keeping_own_code_is_allowed(api_client):
    CustomerFactory(code="CUST007")
    response = api_client.patch("/api/customers/CUST007/", {"code": "cust007"})
    assert response.status_code == 200
    assert Customer.objects.get().code == "cust007"


def test_patch_to_a_code_in_use_is_rejected(api_client):
    CustomerFactory(code="CUST001")
    CustomerFactory(code="CUST007")
    response = api_client.patch("/api/customers/CUST007/", {"code": "cust001"})
    assert response.status_code == 400
    assert "code" in response.json()


def test_delete_customer_without_orders(api_client):
    CustomerFactory(code="CUST007")
    assert api_client.delete("/api/customers/CUST007/").status_code == 204
    assert not Customer.objects.exists()


def test_delete_customer_with_orders_is_409(api_client):
    order = OrderFactory(customer__code="CUST007")
    response = api_client.delete("/api/customers/CUST007/")
    assert response.status_code == 409
    assert "orders" in response.json()["detail"]
    assert Customer.objects.filter(pk=order.customer_id).exists()


def test_list_is_paginated_and_ordered_by_code(api_client):
    for code in ["C3", "C1", "C2"]:
        CustomerFactory(code=code)
    body = api_client.get("/api/customers/", {"page_size": 2}).json()
    assert body["count"] == 3
    assert [c["code"] for c in body["results"]] == ["C1", "C2"]
    assert body["next"] is not None
    assert body["previous"] is None


@pytest.mark.parametrize(("term", "expected"), [("bond", ["C1"]), ("C2", ["C2"]), ("q@x", ["C3"])])
def test_search_by_name_code_or_email(api_client, term, expected):
    CustomerFactory(code="C1", name="James Bond", email="a@example.com")
    CustomerFactory(code="C2", name="Eve", email="b@example.com")
    CustomerFactory(code="C3", name="Q", email="q@x.example.com")
    body = api_client.get("/api/customers/", {"search": term}).json()
    assert [c["code"] for c in body["results"]] == expected


def test_customer_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries
):
    CustomerFactory.create_batch(30)
    with django_assert_num_queries(2):  # the page and the capped count
        api_client.get("/api/customers/", {"page_size": 5})
    with django_assert_num_queries(2):
        api_client.get("/api/customers/", {"page_size": 25})
    # Every customer on the first page: its length is the count.
    with django_assert_num_queries(1):
        assert api_client.get("/api/customers/", {"page_size": 30}).json()["count"] == 30


def test_unauthenticated_requests_are_refused(anonymous_client):
    CustomerFactory(code="CUST007")
    assert anonymous_client.get("/api/customers/").status_code in (401, 403)
    assert anonymous_client.get("/api/customers/CUST007/").status_code in (401, 403)
    assert anonymous_client.post("/api/customers/", VALID).status_code in (401, 403)
    assert not Customer.objects.filter(code="James").exists()
