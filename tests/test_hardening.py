"""Hostile or careless input: size limits, parser limits, headers, CORS, throttling."""

from __future__ import annotations

import os
import re
import socket

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import full_access
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def test_body_over_the_limit_is_413_before_it_is_read(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = api_client.post(
        "/api/customers/", data='{"name": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert "1024" in response.json()["detail"]


def test_body_under_the_limit_is_parsed(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = api_client.post("/api/customers/", {"name": "x"})
    assert response.status_code == 400  # validation ran: other fields missing


def test_deeply_nested_json_is_400_not_500(api_client):
    depth = 100_000
    body = "[" * depth + "]" * depth
    response = api_client.post("/api/orders/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_constants_are_400(api_client, constant):
    body = '{"customer_code": "C1", "item": "x", "physician_name": "y", "amount": ' + constant + "}"
    response = api_client.post("/api/orders/", data=body, content_type="application/json")
    assert response.status_code == 400


def test_html_pages_carry_a_content_security_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    # Swagger UI comes from this service, not from a CDN the CSP would block.
    assert not re.search(rb"<script[^>]+src=\"https?://", response.content)


def test_json_responses_carry_the_security_headers(api_client):
    response = api_client.get("/api/customers/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" not in response


def test_cors_is_closed_by_default(api_client):
    response = api_client.get("/api/customers/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_opens_for_a_configured_origin_only(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://clinic.example.com"]
    allowed = api_client.get("/api/customers/", HTTP_ORIGIN="https://clinic.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://clinic.example.com"
    other = api_client.get("/api/customers/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_a_client_over_its_rate_gets_429_with_retry_after(api_client, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    statuses = [api_client.get("/api/customers/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api_client.get("/api/customers/")
    assert int(response["Retry-After"]) > 0


def test_one_clients_throttle_does_not_limit_another(api_client, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    for _ in range(3):
        api_client.get("/api/customers/")
    other = APIClient()
    other_user = UserFactory()
    other.force_authenticate(user=other_user, token=full_access(other_user))
    assert other.get("/api/customers/").status_code == 200


def test_callers_without_credentials_are_refused_not_throttled(anonymous_client, settings):
    # Public endpoints (the gateway's delivery reports) must never be rate limited.
    settings.API_THROTTLE_RATE = "1/minute"
    statuses = {anonymous_client.get("/api/customers/").status_code for _ in range(3)}
    assert 429 not in statuses


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def test_throttle_counts_are_shared_through_redis(api_client, settings):
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis should be running in CI (.ci/run starts it)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # A database of this suite's own (clear() empties all of it): CI runs the SQLite
            # and PostgreSQL suites side by side.
            "LOCATION": f"redis://127.0.0.1:6379/{15 if connection.vendor == 'sqlite' else 14}",
            "KEY_PREFIX": f"test-{os.getpid()}",
        }
    }
    settings.API_THROTTLE_RATE = "2/minute"
    cache.clear()
    statuses = [api_client.get("/api/customers/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    cache.clear()


def test_throttling_fails_open_when_the_shared_cache_is_down(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.API_THROTTLE_RATE = "1/minute"
    statuses = [api_client.get("/api/customers/").status_code for _ in range(2)]
    assert statuses == [200, 200]
