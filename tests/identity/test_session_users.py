"""A signed-in browser's user (the front desk, the admin) is remembered per process for
OIDC_RECENT_SECONDS (identity.backends), as a bearer token's user is; signing out still ends
the session at once."""

from __future__ import annotations

import time

from django.test import Client

from identity.scopes import API_SCOPES
from tests.factories import UserFactory
from tests.support.sessions import signed_in


def test_a_remembered_user_costs_no_query(db, django_assert_num_queries):
    client = signed_in(*API_SCOPES)
    assert client.get("/desk/orders/").status_code == 200
    # The session and the page: no user lookup.
    with django_assert_num_queries(2):
        assert client.get("/desk/orders/").status_code == 200


def test_a_user_deactivated_in_this_process_is_signed_out_at_once(db):
    user = UserFactory()
    client = signed_in(*API_SCOPES, user=user)
    assert client.get("/desk/orders/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/desk/orders/").status_code == 302


def test_a_user_deactivated_by_another_process_is_signed_out_once_remembered_time_is_up(
    db, settings
):
    settings.OIDC_RECENT_SECONDS = 2
    user = UserFactory()
    client = signed_in(*API_SCOPES, user=user)
    assert client.get("/desk/orders/").status_code == 200
    remembered_until = time.monotonic() + 2
    # An UPDATE, which no signal of this process sees: what another process's save looks like.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/desk/orders/")
    if time.monotonic() < remembered_until:
        assert response.status_code == 200
    time.sleep(max(0.0, remembered_until - time.monotonic()) + 0.05)
    assert client.get("/desk/orders/").status_code == 302


def test_signing_out_ends_the_session_at_once_though_the_user_is_remembered(db):
    client = signed_in(*API_SCOPES)
    assert client.get("/desk/orders/").status_code == 200
    stolen = client.cookies["sessionid"].value
    client.post("/auth/logout/")
    replay = Client()
    replay.cookies["sessionid"] = stolen
    assert replay.get("/desk/orders/").status_code == 302
