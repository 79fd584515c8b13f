"""The built-in provider (django-oauth-toolkit under /o/, no OIDC_ISSUER): its tokens go
through the same scope checks; revoking one takes effect at once; browsers log in through the
code flow with PKCE against it."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from identity.models import Identity
from orders.models import Order
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/auth/callback/"
ORDER = {"customer_code": "CUST007", "item": "Paracetamol", "amount": 50, "physician_name": "dr"}


@pytest.fixture
def dev_secret() -> str:
    secret = ensure_dev_clients(callback_url=CALLBACK).api_client_secret
    assert secret is not None
    return secret


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def client_credentials_token(client, secret: str, scope: str) -> str:
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": scope},
        format="multipart",
        HTTP_AUTHORIZATION=basic_auth(DEV_API_CLIENT_ID, secret),
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


ALL = "customers:read customers:write orders:read orders:write"


def test_client_credentials_token_places_an_order(anonymous_client, dev_secret):
    CustomerFactory(code="CUST007")
    token = client_credentials_token(anonymous_client, dev_secret, ALL)

    response = anonymous_client.post("/api/orders/", ORDER, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 201
    identity = Identity.objects.get(issuer="built-in", subject=DEV_API_CLIENT_ID)
    assert Order.objects.get(pk=response.json()["id"]).created_by == identity.user


def test_revoked_token_is_rejected(anonymous_client, dev_secret):
    token = client_credentials_token(anonymous_client, dev_secret, ALL)
    auth = f"Bearer {token}"
    assert anonymous_client.get("/api/customers/", HTTP_AUTHORIZATION=auth).status_code == 200

    revoked = anonymous_client.post(
        "/o/revoke_token/",
        {"token": token},
        format="multipart",
        HTTP_AUTHORIZATION=basic_auth(DEV_API_CLIENT_ID, dev_secret),
    )
    assert revoked.status_code == 200

    response = anonymous_client.get("/api/customers/", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_built_in_token_without_the_scope_is_forbidden(anonymous_client, dev_secret):
    CustomerFactory(code="CUST007")
    token = client_credentials_token(anonymous_client, dev_secret, "customers:read orders:read")

    response = anonymous_client.post("/api/orders/", ORDER, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 403
    assert 'scope="orders:write"' in response["WWW-Authenticate"]


def test_made_up_token_is_rejected(anonymous_client):
    response = anonymous_client.get("/api/customers/", HTTP_AUTHORIZATION="Bearer made-up")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_ensure_dev_client_prints_the_secret_only_when_it_makes_the_client(capsys):
    call_command("ensure_dev_client", "--base-url", "http://127.0.0.1:8000")
    first = capsys.readouterr().out
    call_command("ensure_dev_client", "--base-url", "http://127.0.0.1:8000")
    second = capsys.readouterr().out

    assert "grant_type=client_credentials" in first
    assert "http://127.0.0.1:8000/api/orders/" in first
    assert "grant_type" not in second
    assert "exists" in second


def test_browser_logs_in_through_the_code_flow_with_pkce(client):
    ensure_dev_clients(callback_url=CALLBACK)
    User.objects.create_user(username="nurse", password="correct horse battery")
    CustomerFactory(code="CUST007")

    to_authorize = client.get("/api-auth/login/", {"next": "/api/orders/"})
    authorize_url = urlsplit(to_authorize["Location"])
    query = parse_qs(authorize_url.query)
    assert authorize_url.path == "/o/authorize/"
    assert query["code_challenge_method"] == ["S256"]

    # The provider asks who this is, then sends the browser back with a code.
    to_login = client.get(to_authorize["Location"])
    assert urlsplit(to_login["Location"]).path == "/o/login/"
    back_to_authorize = client.post(
        to_login["Location"], {"username": "nurse", "password": "correct horse battery"}
    )
    to_callback = client.get(back_to_authorize["Location"])
    assert to_callback["Location"].startswith(CALLBACK)
    to_api = client.get(to_callback["Location"])
    assert to_api["Location"] == "/api/orders/"

    assert client.get("/api/orders/", HTTP_ACCEPT="application/json").status_code == 200
    placed = client.post("/api/orders/", ORDER, content_type="application/json")
    assert placed.status_code == 201
    assert Order.objects.get().created_by.username == "nurse"


def test_callback_with_a_wrong_state_does_not_log_in(client):
    ensure_dev_clients(callback_url=CALLBACK)
    client.get("/api-auth/login/")

    response = client.get("/auth/callback/", {"code": "anything", "state": "forged"})

    assert response.status_code == 403
    assert client.get("/api/orders/", HTTP_ACCEPT="application/json").status_code in (401, 403)


def test_session_without_granted_scopes_is_forbidden(client):
    # A password login at the provider alone is not an API login: no scopes were granted.
    User.objects.create_user(username="nurse", password="correct horse battery")
    signed_in = client.post("/o/login/", {"username": "nurse", "password": "correct horse battery"})
    assert signed_in.status_code == 302

    response = client.get("/api/orders/", HTTP_ACCEPT="application/json")

    assert response.status_code == 403


def test_logout_ends_the_session(client):
    ensure_dev_clients(callback_url=CALLBACK)
    user = UserFactory(username="nurse")
    client.force_login(user)

    response = client.post("/api-auth/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_built_in_provider_is_closed_while_an_external_issuer_is_set(client, settings):
    settings.OIDC_ISSUER = "https://idp.example"

    assert client.get("/o/login/").status_code == 404
    assert client.post("/o/token/", {"grant_type": "client_credentials"}).status_code == 404
    assert client.get("/o/.well-known/openid-configuration").status_code == 404
