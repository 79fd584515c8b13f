from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from idempotency.models import IdempotencyKey
from idempotency.services import claim_key, fingerprint
from orders.models import Order
from tests.conftest import full_access
from tests.factories import CustomerFactory, UserFactory
from tests.support.concurrency import at_once

pytestmark = pytest.mark.django_db

ORDER = {"customer_code": "C1", "item": "Aspirin", "amount": "10.00", "physician_name": "Dr A"}


@pytest.fixture(autouse=True)
def customer():
    return CustomerFactory(code="C1")


def post(client, body=ORDER, key="key-1", path="/api/orders/"):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_with_the_same_key_returns_the_first_response_and_creates_nothing(api_client):
    first = post(api_client)
    second = post(api_client)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == 1


def test_the_add_alias_is_the_same_operation(api_client):
    post(api_client)
    assert post(api_client, path="/api/orders/add/").status_code == 201
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_422(api_client):
    post(api_client)
    response = post(api_client, body={**ORDER, "amount": "11.00"})
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Order.objects.count() == 1


def test_keys_belong_to_one_client(api_client):
    other = APIClient()
    other_user = UserFactory()
    other.force_authenticate(user=other_user, token=full_access(other_user))
    post(api_client)
    assert post(other).status_code == 201
    assert Order.objects.count() == 2


def test_customer_creation_is_idempotent_too(api_client):
    body = {"code": "NEW1", "name": "N", "contact_number": "0712345678", "email": "n@example.com"}
    first = post(api_client, body=body, path="/api/customers/")
    second = post(api_client, body=body, path="/api/customers/add/")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"


def test_a_retry_while_the_first_is_in_flight_is_409(api_client, user):
    claim_key(user=user, key="key-1", fingerprint=fingerprint("orders.create", ORDER))
    response = post(api_client)
    assert response.status_code == 409
    assert not Order.objects.exists()


def test_a_request_that_died_in_flight_can_be_retried_after_the_lock_time(api_client, user):
    claim = claim_key(user=user, key="key-1", fingerprint=fingerprint("orders.create", ORDER))
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    assert post(api_client).status_code == 201
    assert Order.objects.count() == 1


def test_a_key_is_forgotten_after_24_hours(api_client):
    post(api_client)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = post(api_client)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Order.objects.count() == 2


def test_a_rejected_request_is_not_remembered(api_client):
    assert post(api_client, body={**ORDER, "amount": "-1"}).status_code == 400
    assert post(api_client).status_code == 201
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "naïve"])
def test_malformed_keys_are_400(api_client, key):
    response = post(api_client, key=key)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_cleanup_deletes_only_expired_keys(api_client):
    post(api_client, key="old")
    post(api_client, key="new", body={**ORDER, "item": "Other"})
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    call_command("purge_idempotency_keys")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_exactly_one_order():
    user = UserFactory()

    def attempt(_: int) -> tuple[int, str | None]:
        client = APIClient()
        client.force_authenticate(user=user, token=full_access(user))
        response = post(client)
        return response.status_code, response.get("Idempotent-Replayed")

    results = at_once(10, attempt)

    assert Order.objects.count() == 1
    fresh = [r for r in results if r == (201, None)]
    assert len(fresh) == 1, results
    assert all(r in {(201, "true"), (409, None)} for r in results if r != (201, None)), results
