from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from customers.services import CustomerCodeTaken, customer_create, customer_update
from tests.conftest import full_access
from tests.factories import CustomerFactory, UserFactory
from tests.support.concurrency import at_once


@pytest.mark.django_db
def test_create_with_a_taken_code_raises_a_domain_error_not_integrity_error():
    # The serializer's check can be overtaken by a concurrent request; the service must turn
    # the database's refusal into the same clear error.
    CustomerFactory(code="CUST007")
    with pytest.raises(CustomerCodeTaken):
        customer_create(
            code="cust007", name="X", contact_number="+254712345678", email="x@example.com"
        )
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_update_to_a_taken_code_raises_a_domain_error():
    CustomerFactory(code="CUST001")
    other = CustomerFactory(code="CUST002")
    with pytest.raises(CustomerCodeTaken):
        customer_update(customer=other, code="Cust001")


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_code_give_one_201_and_no_500():
    user = UserFactory()
    workers = 8

    def create(_: int) -> int:
        client = APIClient()
        client.force_authenticate(user=user, token=full_access(user))
        body = {
            "code": "RACE1",
            "name": "Racer",
            "contact_number": "+254712345678",
            "email": "r@example.com",
        }
        return client.post("/api/customers/", body).status_code

    statuses = at_once(workers, create)

    assert sorted(statuses, key=str) == sorted([201] + [400] * (workers - 1), key=str)
    assert Customer.objects.filter(code="RACE1").count() == 1
