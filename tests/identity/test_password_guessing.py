"""Password guessing at the built-in provider: the token endpoint is no oracle, and sign-in
at /o/login/ locks out by account and by client address (django-axes), with a clear page, an
audit event and a documented unlock."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from identity.login import BUILT_IN_BROWSER_CLIENT_ID

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/auth/callback/"
PASSWORD = "correct horse battery"
ATTACKER = "203.0.113.7"
CLINIC = "198.51.100.20"


@pytest.fixture
def nurse() -> User:
    return User.objects.create_user(username="nurse", password=PASSWORD)


@pytest.fixture
def doctor() -> User:
    return User.objects.create_user(username="doctor", password=PASSWORD)


def sign_in(username: str, password: str, *, address: str) -> tuple[Client, int]:
    """A fresh browser posting the provider's password form; its session and the status."""
    browser = Client()
    response = browser.post(
        "/o/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )
    return browser, response.status_code


def signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def test_token_endpoint_answers_alike_whatever_the_password(anonymous_client, nurse):
    ensure_dev_clients(callback_url=CALLBACK)

    def password_grant(client_id: str, username: str, password: str) -> tuple[int, object]:
        response = anonymous_client.post(
            "/o/token/",
            {
                "grant_type": "password",
                "client_id": client_id,
                "username": username,
                "password": password,
            },
            format="multipart",
        )
        return response.status_code, response.json()

    right = password_grant(BUILT_IN_BROWSER_CLIENT_ID, "nurse", PASSWORD)
    assert right == (400, {"error": "unauthorized_client"})
    assert password_grant(BUILT_IN_BROWSER_CLIENT_ID, "nurse", "wrong") == right
    assert password_grant(BUILT_IN_BROWSER_CLIENT_ID, "nobody", PASSWORD) == right
    # The password was never looked at: no failed sign-in was counted.
    assert not AccessAttempt.objects.exists()


def test_token_endpoint_refuses_the_password_grant_to_the_confidential_client(
    anonymous_client, nurse
):
    secret = ensure_dev_clients(callback_url=CALLBACK).api_client_secret
    response = anonymous_client.post(
        "/o/token/",
        {"grant_type": "password", "username": "nurse", "password": PASSWORD},
        format="multipart",
        HTTP_AUTHORIZATION=basic(DEV_API_CLIENT_ID, secret or ""),
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unauthorized_client"}


def basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_twenty_five_wrong_passwords_then_the_right_one_does_not_sign_in(nurse):
    for _ in range(25):
        sign_in("nurse", "guess", address=ATTACKER)

    browser, status = sign_in("nurse", PASSWORD, address=ATTACKER)

    assert status == 429
    assert not signed_in(browser)


def test_the_locked_out_page_says_why_and_for_how_long(nurse, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in("nurse", "guess", address=ATTACKER)

    response = Client().post(
        "/o/login/", {"username": "nurse", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )

    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert f"{settings.LOGIN_LOCKOUT_MINUTES} minutes" in page
    assert "nurse" not in page


def test_sign_in_below_the_limit_still_works(nurse, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in("nurse", "guess", address=ATTACKER)

    browser, status = sign_in("nurse", PASSWORD, address=ATTACKER)

    assert status == 302
    assert signed_in(browser)


def test_a_locked_account_stays_locked_from_another_address(nurse, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in("nurse", "guess", address=ATTACKER)

    browser, status = sign_in("nurse", PASSWORD, address=CLINIC)

    assert status == 429
    assert not signed_in(browser)


def test_an_address_guessing_across_accounts_is_locked_for_every_account(doctor, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(f"user{n}", "guess", address=ATTACKER)

    from_attacker, status = sign_in("doctor", PASSWORD, address=ATTACKER)
    assert status == 429
    assert not signed_in(from_attacker)

    # The same account from elsewhere was never guessed at.
    from_clinic, status = sign_in("doctor", PASSWORD, address=CLINIC)
    assert status == 302
    assert signed_in(from_clinic)


def test_unrelated_users_still_sign_in_while_an_account_is_locked(nurse, doctor, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in("nurse", "guess", address=ATTACKER)

    browser, status = sign_in("doctor", PASSWORD, address=CLINIC)

    assert status == 302
    assert signed_in(browser)


def test_signing_in_to_an_own_account_does_not_reset_the_count(nurse, doctor, settings):
    # The attacker owns "doctor" and signs in to it between guesses at "nurse".
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        sign_in("nurse", "guess", address=ATTACKER)
    assert sign_in("doctor", PASSWORD, address=ATTACKER)[1] == 302
    sign_in("nurse", "guess", address=ATTACKER)

    browser, status = sign_in("nurse", PASSWORD, address=CLINIC)

    assert status == 429
    assert not signed_in(browser)


def test_staff_unlock_an_account_with_the_documented_command(nurse, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in("nurse", "guess", address=ATTACKER)
    assert sign_in("nurse", PASSWORD, address=CLINIC)[1] == 429

    call_command("axes_reset_username", "nurse")

    browser, status = sign_in("nurse", PASSWORD, address=CLINIC)
    assert status == 302
    assert signed_in(browser)


def test_failures_and_the_lockout_are_audit_events_without_name_or_password(
    nurse, settings, caplog
):
    with caplog.at_level(logging.INFO):
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            sign_in("nurse", "guess", address=ATTACKER)

    events = [r for r in caplog.records if r.name == "identity.lockout"]
    assert [r.getMessage() for r in events].count("login_failed") == settings.LOGIN_FAILURE_LIMIT
    (lockout,) = [r for r in events if r.getMessage() == "login_locked_out"]
    assert lockout.user_id == nurse.pk
    assert lockout.client_ip == ATTACKER
    assert len(lockout.username_hash) == 16
    assert {r.username_hash for r in events} == {lockout.username_hash}
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "nurse" not in logged
    assert "guess" not in logged


def test_the_client_address_is_the_one_our_proxies_saw(nurse, settings):
    settings.NUM_PROXIES = 1
    # The client wrote the first entry itself; the proxy appended the address it saw.
    Client().post(
        "/o/login/",
        {"username": "nurse", "password": "guess"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}",
    )
    Client().post(
        "/o/login/",
        {"username": "nurse", "password": "guess"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )

    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {ATTACKER, "10.0.0.2"}


def test_hostile_sign_in_fields_are_refused_not_a_server_error(nurse):
    for username in ("nu\x00rse", "x" * 10_000, "\u212aelvin"):
        browser, status = sign_in(username, "guess\x00", address=ATTACKER)
        # The form's error (200), or the request refused at the door for its NUL (400).
        assert status in {200, 400}
        assert not signed_in(browser)
