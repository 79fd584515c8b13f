"""SMART on FHIR system scopes: which the FHIR facade accepts, and that they arrive from the
same claims as our own scopes, through a real external provider's JWTs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from customers.services import customer_create
from identity.scopes import known_scopes, may_read_fhir, scopes_from_claims, smart_read_type
from orders.services import place_order


@pytest.mark.parametrize(
    ("scope", "reads"),
    [
        ("system/Patient.rs", "Patient"),
        ("system/Patient.read", "Patient"),
        ("system/Patient.*", "Patient"),
        ("system/Patient.cruds", "Patient"),
        ("system/*.rs", "*"),
        ("system/*.read", "*"),
        ("system/Communication.rs", "Communication"),
        ("system/Patient.r", None),
        ("system/Patient.s", None),
        ("system/Patient.sr", None),
        ("system/Patient.write", None),
        ("system/Observation.rs", None),
        ("patient/Patient.rs", None),
        ("user/Patient.rs", None),
        ("system/Patient.rs?identifier=x", None),
        ("system/P\u0430tient.rs", None),  # Cyrillic a
        ("orders:read", None),
    ],
)
def test_smart_system_scopes_that_read(scope, reads):
    assert smart_read_type(scope) == reads


def test_claims_keep_our_scopes_and_smart_ones_and_drop_the_rest():
    claims = {"scope": "openid orders:read system/Patient.rs", "scp": ["system/*.read", "admin"]}
    assert scopes_from_claims(claims) == {"orders:read", "system/Patient.rs", "system/*.read"}
    assert known_scopes(["patient/*.rs", "customers:write"]) == {"customers:write"}


def test_our_scopes_map_onto_fhir_types():
    assert may_read_fhir({"customers:read"}, "Patient")
    assert not may_read_fhir({"customers:read"}, "MedicationRequest")
    for resource_type in ("MedicationRequest", "MedicationDispense", "Communication"):
        assert may_read_fhir({"orders:read"}, resource_type)
    assert not may_read_fhir({"orders:write", "customers:write"}, "Patient")


@pytest.fixture
def order(db):
    customer = customer_create(
        code="CUST1", name="W K", contact_number="+254712345678", email="w@example.com"
    )
    return place_order(
        customer=customer, item="Amoxicillin", amount=Decimal("50"), physician_name="Dr Otieno"
    )


@pytest.mark.django_db
def test_external_provider_token_with_smart_scopes(anonymous_client, external_provider, order):
    token = external_provider.client_credentials_token(
        client_id="fhir-system", scope="system/MedicationRequest.rs system/Patient.read"
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert (
        anonymous_client.get(f"/fhir/R4/MedicationRequest/{order.pk}", **bearer).status_code == 200
    )
    assert anonymous_client.get("/fhir/R4/Patient/CUST1", **bearer).status_code == 200
    assert anonymous_client.get("/fhir/R4/MedicationDispense", **bearer).status_code == 403
    assert anonymous_client.get("/api/orders/", **bearer).status_code == 403


@pytest.mark.django_db
def test_external_provider_token_with_our_scopes_reads_fhir(
    anonymous_client, external_provider, order
):
    token = external_provider.client_credentials_token(
        client_id="api-read-only", scope="orders:read"
    )
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    assert anonymous_client.get("/fhir/R4/Communication", **bearer).status_code == 200
    assert anonymous_client.get("/fhir/R4/Patient/CUST1", **bearer).status_code == 403


@pytest.mark.django_db
def test_smart_configuration_repeats_the_external_providers_endpoints(
    anonymous_client, external_provider
):
    response = anonymous_client.get("/fhir/R4/.well-known/smart-configuration")

    assert response.status_code == 200
    configuration = response.json()
    assert configuration["issuer"] == external_provider.issuer
    assert configuration["token_endpoint"] == f"{external_provider.issuer}/token"
    assert configuration["jwks_uri"].startswith(external_provider.issuer)
    assert "system/Patient.rs" in configuration["scopes_supported"]
