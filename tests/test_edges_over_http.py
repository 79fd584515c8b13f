"""The request edges again, over real HTTP to gunicorn with production settings: what the
test client cannot show (chunked bodies as a server decodes them, Host headers, redirects a
real client follows)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orders.models import Order, OrderStatus
from tests.factories import CustomerFactory, OrderFactory
from tests.support.processes import gunicorn_with_token

pytestmark = pytest.mark.django_db(transaction=True)

SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.fixture
def service(settings) -> Iterator[tuple[str, dict[str, str]]]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with gunicorn_with_token(WEB_CONCURRENCY="1", MAX_REQUEST_BODY_BYTES="4096") as served:
        yield served


def test_a_chunked_patch_is_411_and_the_order_is_unchanged(service):
    base_url, headers = service
    order = OrderFactory()

    def chunks() -> Iterator[bytes]:
        yield b'{"status": '
        yield b'"cancelled"}'

    response = httpx.patch(
        f"{base_url}/api/orders/{order.pk}/",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 411
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_post_without_the_slash_is_followed_to_a_real_order(service):
    base_url, headers = service
    CustomerFactory(code="CUST001")
    body = {"customer_code": "CUST001", "item": "x", "amount": "1", "physician_name": "y"}
    response = httpx.post(
        f"{base_url}/api/orders", json=body, headers=headers, follow_redirects=True
    )
    assert [r.status_code for r in response.history] == [308]
    assert response.status_code == 201
    assert Order.objects.count() == 1


def test_a_disallowed_host_is_a_json_400(service):
    base_url, headers = service
    response = httpx.get(f"{base_url}/api/customers/", headers={**headers, "Host": "evil.test"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request."}


def test_too_many_form_fields_is_a_json_400(service):
    base_url, headers = service
    body = "&".join(["a="] * 1001)  # within the size limit of this server
    response = httpx.post(
        f"{base_url}/api/customers/",
        content=body,
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request has too many form fields."}


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/api/customers/"])
def test_probes_and_refusals_carry_the_security_headers(service, url):
    base_url, headers = service
    for response in (
        httpx.get(f"{base_url}{url}"),
        httpx.post(f"{base_url}/api/customers/", content=b"x" * 5000, headers=headers),
    ):
        for name in SECURITY_HEADERS:
            assert name in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_a_nul_in_the_path_is_400_on_the_real_server(service):
    base_url, headers = service
    CustomerFactory(code="CUST")
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = httpx.request(method, f"{base_url}/api/customers/CU%00ST/", headers=headers)
        assert response.status_code == 400, method


def test_public_pages_ignore_a_stale_token(service):
    base_url, _ = service
    stale = {"Authorization": "Bearer expired-or-revoked"}
    assert httpx.get(f"{base_url}/api/schema/", headers=stale).status_code == 200
