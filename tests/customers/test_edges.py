"""Customers at the edges: racing deletes, changes that change nothing, write-only callers,
look-alike codes and text that would break a log line or an SMS."""

from __future__ import annotations

from collections import Counter

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.conftest import client_with_scopes, full_access
from tests.factories import CustomerFactory, OrderFactory, UserFactory
from tests.support.concurrency import at_once

pytestmark = pytest.mark.django_db

NEW = {"code": "NEW1", "name": "Wanjiru", "contact_number": "0712345678", "email": "w@x.example"}


# --- 7. Concurrent deletes ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_of_concurrent_deletes_of_one_customer_exactly_one_succeeds():
    CustomerFactory(code="GONE")
    user = UserFactory()

    def delete(_: int) -> int:
        client = APIClient()
        client.force_authenticate(user=user, token=full_access(user))
        return client.delete("/api/customers/GONE/").status_code

    statuses = at_once(6, delete)
    assert Counter(statuses) == {204: 1, 404: 5}
    assert Customer.history.filter(code="GONE", history_type="-").count() == 1


# --- 6. Changes that change nothing ---------------------------------------------------------


def test_an_empty_patch_of_a_customer_is_400_and_writes_nothing(api_client):
    customer = CustomerFactory(code="C1")
    response = api_client.patch("/api/customers/C1/", {}, format="json")
    assert response.status_code == 400
    customer.refresh_from_db()
    assert Customer.history.filter(code="C1").count() == 1


def test_a_patch_to_the_same_values_writes_nothing(api_client):
    customer = CustomerFactory(code="C1", name="Same")
    before = customer.updated_at
    response = api_client.patch("/api/customers/C1/", {"name": "Same"}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.updated_at == before
    assert Customer.history.filter(code="C1").count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch"])
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"nickname": "x"}, "Unknown field."),
        ({"created_at": "2020-01-01"}, "This field is read-only."),
    ],
)
def test_unknown_and_read_only_fields_are_400(api_client, method, extra, message):
    CustomerFactory(code="C1")
    url = "/api/customers/" if method == "post" else "/api/customers/C1/"
    body = {**NEW, "code": "C1" if method != "post" else "C2", **extra}
    response = getattr(api_client, method)(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {next(iter(extra)): [message]}
    assert Customer.objects.count() == 1
    assert Customer.history.count() == 1


# --- 9. A write-only caller sees the code, not the record -----------------------------------


def test_a_write_only_caller_creating_a_customer_gets_its_code_only():
    response = client_with_scopes("customers:write").post("/api/customers/", NEW, format="json")
    assert response.status_code == 201
    assert response.json() == {"code": "NEW1"}


def test_a_write_only_caller_changing_a_customer_gets_its_code_only():
    CustomerFactory(code="C1", name="Private Name")
    client = client_with_scopes("customers:write")
    response = client.patch("/api/customers/C1/", {"email": "n@x.example"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"code": "C1"}
    put = client.put("/api/customers/C1/", {**NEW, "code": "C1"}, format="json")
    assert put.json() == {"code": "C1"}


def test_an_empty_patch_shows_a_write_only_caller_nothing_either():
    CustomerFactory(code="C1", name="Private Name")
    response = client_with_scopes("customers:write").patch("/api/customers/C1/", {}, format="json")
    assert response.status_code == 400
    assert "Private Name" not in response.content.decode()


def test_errors_are_shown_to_write_only_callers(api_client):
    response = client_with_scopes("customers:write").post(
        "/api/customers/", {**NEW, "email": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()


# --- 14. Single-line text fields ------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "insurance_number"])
@pytest.mark.parametrize("value", ["a\nb", "a\r\nb", "a\tb", "a\x1b[2Jb", "a\x7fb", "a\x9bb"])
def test_single_line_fields_of_a_customer_refuse_control_characters(api_client, field, value):
    response = api_client.post("/api/customers/", {**NEW, field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    CustomerFactory(code="C1")
    response = api_client.patch("/api/customers/C1/", {field: value}, format="json")
    assert response.status_code == 400
    assert not Customer.objects.filter(code="NEW1").exists()


def test_the_admin_refuses_control_characters_too(admin_client):
    customer = CustomerFactory(code="C1", name="Before")
    response = admin_client.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {
            "code": "C1",
            "name": "Line\nbreak",
            "contact_number": customer.contact_number,
            "email": customer.email,
            "insurance_number": "",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    customer.refresh_from_db()
    assert customer.name == "Before"


# --- 15. Look-alike codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u212aIT1",  # KELVIN SIGN: lower() makes it "k"
        "K\u0131T1",  # dotless i
        "KIT\uff11",  # full-width digit one
        "\uff2bIT1",  # full-width K
    ],
)
def test_look_alike_codes_find_nobody(api_client, lookalike):
    CustomerFactory(code="KIT1")
    OrderFactory(customer=Customer.objects.get(code="KIT1"))
    assert api_client.get(f"/api/customers/{lookalike}/").status_code == 404
    assert api_client.delete(f"/api/customers/{lookalike}/").status_code == 404
    assert api_client.get("/api/orders/", {"customer_code": lookalike}).json()["results"] == []
    response = api_client.post(
        "/api/orders/",
        {"customer_code": lookalike, "item": "x", "amount": "1", "physician_name": "y"},
        format="json",
    )
    assert response.status_code == 400
    assert "customer_code" in response.json()


def test_codes_still_match_in_any_ascii_case(api_client):
    CustomerFactory(code="KIT1")
    assert api_client.get("/api/customers/kit1/").status_code == 200


@pytest.mark.parametrize("number", ["+２５４７１２３４５６７８", "٠٧١٢٣٤٥٦٧٨"])
def test_phone_numbers_take_ascii_digits_only(api_client, number):
    response = api_client.post("/api/customers/", {**NEW, "contact_number": number}, format="json")
    assert response.status_code == 400
    assert "contact_number" in response.json()


def test_an_edit_does_not_write_back_an_opt_out_made_since_it_read_the_row():
    from customers.models import SmsOptOutSource
    from customers.services import customer_set_sms_opt_out, customer_update

    CustomerFactory(code="C1", name="Before")
    stale = Customer.objects.get(code="C1")
    customer_set_sms_opt_out(
        customer=Customer.objects.get(code="C1"), opt_out=True, source=SmsOptOutSource.STAFF
    )
    customer_update(customer=stale, name="After")
    fresh = Customer.objects.get(code="C1")
    assert (fresh.name, fresh.sms_opt_out) == ("After", True)
