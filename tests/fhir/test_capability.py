"""The public endpoints: the CapabilityStatement and the SMART configuration; and the REST
API's OpenAPI schema, which FHIR is not part of."""

from __future__ import annotations

import pytest

from fhir.search import PARAMETERS
from tests.fhir.conftest import BASE, assert_outcome, fhir_get

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {
    "token": "1",
    "reference": "1",
    "date": "ge2026-01-01",
    "string": "x",
}
# Tokens bound to codes this server knows: a value outside them is a 400.
SAMPLE_CODES = {"status": "completed", "category": "order_ready"}


def test_capability_statement_is_public_and_valid(anonymous_client):
    response = fhir_get(anonymous_client, "metadata")
    assert response.status_code == 200
    statement = response.json()
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance"
    assert statement["implementation"]["url"] == BASE
    assert statement["rest"][0]["security"]["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    assert "docs/fhir.md" in statement["rest"][0]["documentation"]


def test_capability_statement_links_the_documentation_url(anonymous_client, settings):
    settings.FHIR_DOCUMENTATION_URL = "https://docs.example.com/fhir"
    statement = fhir_get(anonymous_client, "metadata").json()
    assert "https://docs.example.com/fhir" in statement["rest"][0]["documentation"]


def test_capability_statement_claims_exactly_what_searches_accept(anonymous_client, fhir_client):
    statement = fhir_get(anonymous_client, "metadata").json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == set(PARAMETERS)
    for resource_type, resource in resources.items():
        names = {p["name"] for p in resource["searchParam"]}
        assert names == set(PARAMETERS[resource_type])
        for parameter in resource["searchParam"]:
            value = SAMPLE_CODES.get(parameter["name"], SAMPLE_VALUES[parameter["type"]])
            response = fhir_get(fhir_client, resource_type, data={parameter["name"]: value})
            assert response.status_code == 200, (resource_type, parameter, response.content)
        for include in resource.get("searchInclude", []):
            assert (
                fhir_get(fhir_client, resource_type, data={"_include": include}).status_code == 200
            )
        interactions = {i["code"] for i in resource["interaction"]}
        assert "search-type" in interactions
        assert ("vread" in interactions) == (resource["versioning"] == "versioned")


def test_capability_statement_honours_format(anonymous_client):
    assert_outcome(fhir_get(anonymous_client, "metadata", data={"_format": "xml"}), 406)


def test_smart_configuration_of_the_built_in_provider(anonymous_client):
    response = anonymous_client.get("/fhir/R4/.well-known/smart-configuration")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    configuration = response.json()
    assert configuration["token_endpoint"] == "http://testserver/o/token/"
    assert "client_credentials" in configuration["grant_types_supported"]
    assert "system/*.rs" in configuration["scopes_supported"]
    assert "permission-v2" in configuration["capabilities"]


def test_smart_configuration_when_the_provider_is_down(anonymous_client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OIDC_HTTP_TIMEOUT_SECONDS = 1
    response = anonymous_client.get("/fhir/R4/.well-known/smart-configuration")
    assert response.status_code == 503


def test_the_rest_api_schema_does_not_describe_fhir(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]
    assert not [path for path in paths if path.startswith("/fhir")]
