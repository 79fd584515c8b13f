"""The Africa's Talking backend against the gateway double, and the other backends."""

from __future__ import annotations

import io

import pytest

from notifications.backends import TransportError, get_backend, locmem
from notifications.backends.africastalking import AfricasTalkingBackend, default_api_url
from notifications.backends.console import ConsoleBackend
from tests.support.gateway import API_KEY

NUMBER = "+254711000001"


@pytest.fixture
def backend(gateway):
    client = AfricasTalkingBackend(
        username="pharmacy", api_key=API_KEY, sender_id="", api_url=gateway.url, timeout=0.5
    )
    yield client
    client.close()


def test_an_accepted_message_returns_the_gateways_message_id(backend, gateway):
    message_id = backend.send(to=NUMBER, message="Hello")
    assert message_id == gateway.accepted[0].message_id
    # No sender id configured: no `from` field, the account's default sender is used.
    assert gateway.requests[0].form == {"username": "pharmacy", "to": NUMBER, "message": "Hello"}


@pytest.mark.parametrize("code", [100, 101, 102])
def test_every_accepted_status_code_counts_as_sent(backend, gateway, code):
    gateway.statuses[NUMBER] = (code, "Success")
    assert backend.send(to=NUMBER, message="Hello").startswith("ATXid_")


@pytest.mark.parametrize(
    ("code", "name", "permanent"),
    [
        (401, "RiskHold", True),
        (402, "InvalidSenderId", True),
        (403, "InvalidPhoneNumber", True),
        (404, "UnsupportedNumberType", True),
        (405, "InsufficientBalance", False),
        (406, "UserInBlacklist", True),
        (407, "CouldNotRoute", True),
        (409, "DoNotDisturbRejection", True),
        (500, "InternalServerError", False),
        (501, "GatewayError", False),
        (502, "RejectedByGateway", False),
        (499, "SomethingNew", False),
    ],
)
def test_each_documented_failure_code_is_classified(backend, gateway, code, name, permanent):
    gateway.statuses[NUMBER] = (code, name)
    with pytest.raises(TransportError) as caught:
        backend.send(to=NUMBER, message="Hello")
    assert caught.value.permanent is permanent
    assert name in caught.value.message
    assert str(code) in caught.value.message


def test_rejected_credentials_are_permanent(backend, gateway):
    gateway.api_key = "rotated"
    with pytest.raises(TransportError) as caught:
        backend.send(to=NUMBER, message="Hello")
    assert caught.value.permanent
    assert "credentials" in caught.value.message


@pytest.mark.parametrize(
    ("switch", "value", "words"),
    [
        ("fail_next", 1, "HTTP 503"),
        ("drop_next", 1, "Could not reach"),
        ("latency", 1.0, "did not answer in time"),
    ],
)
def test_gateway_trouble_is_transient(backend, gateway, switch, value, words):
    setattr(gateway, switch, value)
    with pytest.raises(TransportError) as caught:
        backend.send(to=NUMBER, message="Hello")
    assert not caught.value.permanent
    assert words in caught.value.message


def test_nothing_listening_is_transient(backend, gateway):
    gateway.stop()
    with pytest.raises(TransportError) as caught:
        backend.send(to=NUMBER, message="Hello")
    assert not caught.value.permanent


def test_a_malformed_request_is_permanent(gateway):
    backend = AfricasTalkingBackend(username="x", api_key=API_KEY, api_url=gateway.url)
    with pytest.raises(TransportError) as caught:
        backend.send(to=NUMBER, message="")
    assert caught.value.permanent
    assert "HTTP 400" in caught.value.message


def test_the_sandbox_username_talks_to_the_sandbox():
    assert default_api_url("sandbox") == "https://api.sandbox.africastalking.com"
    assert default_api_url("pharmacy") == "https://api.africastalking.com"


def test_backends_are_chosen_by_alias_or_dotted_path(settings):
    assert isinstance(get_backend("locmem"), locmem.LocmemBackend)
    assert isinstance(get_backend("notifications.backends.console.ConsoleBackend"), ConsoleBackend)
    settings.SMS_BACKEND = "console"
    assert isinstance(get_backend(), ConsoleBackend)


def test_the_locmem_backend_keeps_messages_in_its_outbox():
    message_id = get_backend("locmem").send(to=NUMBER, message="Hi")
    assert locmem.outbox == [locmem.SentSms(to=NUMBER, message="Hi", message_id=message_id)]


def test_the_console_backend_never_prints_the_full_number():
    stream = io.StringIO()
    ConsoleBackend(stream=stream).send(to=NUMBER, message="Hi")
    assert NUMBER not in stream.getvalue()
    assert "Hi" in stream.getvalue()


def test_the_console_backend_escapes_control_characters_in_a_message():
    stream = io.StringIO()
    message = "Hi Ann\x1b[2J\x07, order #1\u202eevil\nsecond line"
    ConsoleBackend(stream=stream).send(to=NUMBER, message=message)
    printed = stream.getvalue()
    assert "\x1b" not in printed
    assert "\x07" not in printed
    assert "\u202e" not in printed
    assert "Hi Ann\\x1b[2J\\x07, order #1\\u202eevil\nsecond line" in printed
