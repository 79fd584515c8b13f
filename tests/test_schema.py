from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_schema_documents_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/customers/",
        "/api/customers/add/",
        "/api/customers/{code}/",
        "/api/orders/",
        "/api/orders/add/",
        "/api/orders/{id}/",
    } <= set(paths)
    assert set(paths["/api/orders/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/orders/add/"]) == {"post"}


def test_schema_generates_without_warnings(capsys):
    SchemaGenerator().get_schema(request=None, public=True)
    assert "Warning" not in capsys.readouterr().err


def test_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_admin_lists_and_searches_customers_and_orders(admin_client):
    OrderFactory(customer=CustomerFactory(code="CUST007", name="James Bond"))
    assert b"CUST007" in admin_client.get("/admin/customers/customer/?q=bond").content
    assert (
        admin_client.get("/admin/orders/order/?status__exact=placed&q=CUST007").status_code == 200
    )
    assert b"CUST007" in admin_client.get("/admin/orders/order/?q=CUST007").content


@pytest.mark.parametrize("path", ["/api/orders/", "/api/customers/"])
@pytest.mark.parametrize("page_size", ["0", "-5", "true", "1.5", ""])
def test_a_page_size_that_is_not_a_positive_number_is_400(api_client, path, page_size):
    response = api_client.get(path, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_schema_documents_error_responses(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]
    assert {"400", "401", "403", "409", "413", "415", "422", "429"} <= set(
        paths["/api/orders/"]["post"]["responses"]
    )
    assert "409" in paths["/api/customers/{code}/"]["delete"]["responses"]
    assert "409" in paths["/api/orders/{id}/"]["patch"]["responses"]
    assert "404" in paths["/api/orders/{id}/history/"]["get"]["responses"]
    create = paths["/api/orders/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
