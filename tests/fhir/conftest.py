from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from rest_framework.test import APIClient

from identity.scopes import AccessGrant
from notifications.backends import TransportError
from notifications.services import (
    claim_due_notifications,
    record_delivery_report,
    record_failure,
    record_sent,
)
from tests.factories import UserFactory
from tests.fhir.validation import validate

BASE = "http://testserver/fhir/R4"


def client_with(*scopes):
    """A caller holding exactly `scopes`, authenticated as the bearer-token path would."""
    user = UserFactory()
    client = APIClient()
    grant: Any = AccessGrant(issuer="tests", subject=str(user.pk), scopes=frozenset(scopes))
    client.force_authenticate(user=user, token=grant)
    return client


@pytest.fixture
def fhir_client(db) -> APIClient:
    return client_with("customers:read", "orders:read")


def fhir_get(client: APIClient, path: str, **extra: Any) -> Any:
    """GET a FHIR address; a 200 must be FHIR JSON and valid R4."""
    response = client.get(path if path.startswith("/") else f"/fhir/R4/{path}", **extra)
    if response.status_code == 200:
        assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
        validate(response.json())
    return response


def assert_outcome(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """An error answered as a valid OperationOutcome with `status` (and issue `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    outcome: dict[str, Any] = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    validate(outcome)
    if code is not None:
        assert outcome["issue"][0]["code"] == code
    return outcome


def matches(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    """`Type/id` of the Bundle's entries in `mode`, in order."""
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == mode
    ]


def next_link(bundle: dict[str, Any]) -> str | None:
    """The Bundle's `next` link as a path on the test server, or None on the last page."""
    url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    if url is None:
        return None
    assert url.startswith(BASE)
    return str(url).removeprefix("http://testserver")


def work_outbox(outcomes: Mapping[int, str | TransportError]) -> None:
    """Take every message due through the services the SMS worker and the gateway's delivery
    reports use, and end each as `outcomes` (by message id) says: "sent", "delivered", or a
    TransportError (permanent: failed; temporary: queued again for a retry). Messages to
    patients who opted out are suppressed on the way, as the worker does; every other
    message due must be named."""
    claims = claim_due_notifications(limit=100)
    assert {claim.notification_id for claim in claims} == set(outcomes)
    for claim in claims:
        outcome = outcomes[claim.notification_id]
        if isinstance(outcome, TransportError):
            assert record_failure(claim=claim, error=outcome)
            continue
        message_id = f"ATXid_{claim.notification_id}"
        assert record_sent(claim=claim, provider_message_id=message_id)
        if outcome == "delivered":
            assert record_delivery_report(message_id=message_id, report_status="Success")
