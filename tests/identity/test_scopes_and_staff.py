from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from identity.scopes import API_SCOPES, AccessGrant, required_scope, scopes_from_claims
from identity.services import user_for_subject
from tests.factories import UserFactory


def test_scope_claim_is_space_separated():
    assert scopes_from_claims({"scope": "openid customers:read orders:write"}) == {
        "customers:read",
        "orders:write",
    }


def test_scp_and_permissions_lists_are_read():
    claims = {"scp": ["customers:read"], "permissions": ["orders:read", 7]}
    assert scopes_from_claims(claims) == {"customers:read", "orders:read"}


def test_unknown_scopes_are_ignored():
    assert scopes_from_claims({"scope": "admin orders:delete"}) == frozenset()


@pytest.mark.parametrize(
    ("method", "scope"),
    [
        ("GET", "orders:read"),
        ("HEAD", "orders:read"),
        ("OPTIONS", "orders:read"),
        ("POST", "orders:write"),
        ("PATCH", "orders:write"),
        ("DELETE", "orders:write"),
    ],
)
def test_safe_methods_need_read_others_write(method, scope):
    assert required_scope(resource="orders", method=method) == scope


class NoResourceView(APIView):
    def get(self, request):
        return Response({"ok": True})


@pytest.mark.django_db
def test_a_view_naming_no_resource_is_closed_even_with_every_scope():
    user = UserFactory()
    request = APIRequestFactory().get("/anything/")
    force_authenticate(request, user=user, token=AccessGrant("tests", "1", API_SCOPES))

    response = NoResourceView.as_view()(request)

    assert response.status_code == 403


@pytest.mark.django_db
def test_users_are_keyed_on_issuer_and_subject_never_email():
    first = user_for_subject(issuer="https://a.example", subject="42", email="x@example.com")
    same = user_for_subject(issuer="https://a.example", subject="42")
    other_issuer = user_for_subject(issuer="https://b.example", subject="42")
    same_email = user_for_subject(issuer="https://a.example", subject="43", email="x@example.com")

    assert same == first
    assert other_issuer != first
    assert same_email != first
    assert "x@example.com" not in first.username


@pytest.mark.django_db
def test_grant_staff_by_subject():
    user = user_for_subject(issuer="https://a.example", subject="nurse-1")

    call_command("grant_staff", "--sub", "nurse-1")

    user.refresh_from_db()
    assert user.is_staff
    assert not user.is_superuser


@pytest.mark.django_db
def test_grant_staff_by_email_refuses_an_ambiguous_email():
    user_for_subject(issuer="https://a.example", subject="1", email="shared@example.com")
    user_for_subject(issuer="https://b.example", subject="2", email="shared@example.com")

    with pytest.raises(CommandError, match="More than one"):
        call_command("grant_staff", "--email", "shared@example.com")


@pytest.mark.django_db
def test_grant_staff_of_an_unknown_user_fails():
    with pytest.raises(CommandError, match="No user"):
        call_command("grant_staff", "--email", "nobody@example.com")


def test_admin_login_goes_through_the_openid_connect_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=/admin/"


def test_browsable_api_shows_a_log_in_link(client, db):
    response = client.get("/api/orders/", HTTP_ACCEPT="text/html")

    assert response.status_code == 401
    assert b"href='/api-auth/login/?next=/api/orders/'>Log in<" in response.content
