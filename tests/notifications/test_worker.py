"""The worker against the gateway double: real HTTP, real database."""

from __future__ import annotations

import signal
import time
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from notifications.models import SmsNotification, SmsStatus
from notifications.services import claim_due_notifications, record_sent
from orders.models import Order
from tests.factories import CustomerFactory
from tests.notifications.conftest import (
    CALLBACK_SECRET,
    place,
    run_one_step,
    run_worker_once,
    start_worker_process,
    wait_for_backoff,
)
from tests.support.gateway import API_KEY

pytestmark = pytest.mark.django_db


def test_happy_path_sends_with_the_documented_request_then_a_report_delivers_it(
    api_client, sms_settings, gateway
):
    customer = CustomerFactory(code="CUST007", name="James Bond", contact_number="+254700070007")
    response = api_client.post(
        "/api/orders/",
        {"customer_code": "CUST007", "item": "Paracetamol", "amount": 50, "physician_name": "Dr"},
    )
    assert response.status_code == 201
    assert response.json()["sms"]["status"] == "queued"
    assert gateway.requests == []  # the request itself never calls the gateway

    run_worker_once()

    [request] = gateway.requests
    assert request.path == "/version1/messaging"
    assert request.headers["apikey"] == API_KEY
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {
        "username": "pharmacy",
        "to": customer.contact_number,
        "message": request.form["message"],
        "from": "PHARMACY",
    }
    assert request.form["message"].startswith("Hi James, the clinic has received your order")
    assert "Paracetamol" not in request.form["message"]
    order_id = response.json()["id"]
    assert f"#{order_id}" in request.form["message"]
    sms = api_client.get(f"/api/orders/{order_id}/").json()["sms"]
    [accepted] = gateway.accepted
    assert sms["status"] == "sent"
    assert sms["attempts"] == 1
    assert sms["provider_message_id"] == accepted.message_id

    report = api_client.post(
        f"/api/sms/delivery-reports/?token={CALLBACK_SECRET}",
        urlencode(
            {"id": accepted.message_id, "status": "Success", "phoneNumber": customer.contact_number}
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert report.status_code == 200
    assert api_client.get(f"/api/orders/{order_id}/").json()["sms"]["status"] == "delivered"


def test_gateway_down_then_back_delivers_every_message_exactly_once(sms_settings, gateway):
    orders = [place() for _ in range(6)]
    gateway.down = True
    assert run_one_step() == 6
    for notification in SmsNotification.objects.all():
        assert notification.status == SmsStatus.QUEUED
        assert notification.attempts == 1
        assert "HTTP 503" in notification.last_error

    gateway.down = False
    wait_for_backoff()
    run_worker_once()

    assert set(SmsNotification.objects.values_list("status", flat=True)) == {SmsStatus.SENT}
    numbers = [o.customer.contact_number for o in orders]
    assert gateway.accepted_per_number() == dict.fromkeys(numbers, 1)


def test_dropped_connections_are_retried(sms_settings, gateway):
    place()
    gateway.drop_next = 1
    run_one_step()
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.QUEUED
    assert "Could not reach" in notification.last_error
    wait_for_backoff()
    run_worker_once()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (SmsStatus.SENT, 2)
    assert len(gateway.accepted) == 1


def test_gateway_slower_than_the_timeout_is_retried_not_stuck_in_sending(sms_settings, gateway):
    place()
    gateway.latency = sms_settings.SMS_TIMEOUT + 2
    started = time.monotonic()
    run_one_step()
    # The worker gave up at its timeout rather than waiting for the answer.
    assert time.monotonic() - started < sms_settings.SMS_TIMEOUT + 1.5
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.QUEUED
    assert "did not answer in time" in notification.last_error

    gateway.latency = 0
    wait_for_backoff()
    run_worker_once()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (SmsStatus.SENT, 2)


@pytest.mark.parametrize(
    ("code", "status"), [(406, "UserInBlacklist"), (403, "InvalidPhoneNumber")]
)
def test_refused_numbers_fail_at_once_with_the_reason_and_are_not_retried(
    sms_settings, gateway, code, status
):
    order = place()
    gateway.statuses[order.customer.contact_number] = (code, status)
    run_one_step()
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.FAILED
    assert notification.attempts == 1
    assert status in notification.last_error

    wait_for_backoff()
    run_worker_once()
    assert len(gateway.requests) == 1


def test_rejected_credentials_fail_at_once(sms_settings, gateway):
    place()
    gateway.api_key = "another-key"
    run_worker_once()
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.FAILED
    assert "rejected the credentials" in notification.last_error
    assert len(gateway.requests) == 1


def test_transient_failures_give_up_after_the_attempt_limit(sms_settings, gateway):
    sms_settings.SMS_MAX_ATTEMPTS = 3
    place()
    gateway.down = True
    for _ in range(3):
        run_worker_once()
        wait_for_backoff()
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.FAILED
    assert notification.attempts == 3
    assert "gave up after 3 attempts" in notification.last_error
    assert len(gateway.requests) == 3


def test_rolled_back_order_leaves_no_notification_and_sends_nothing(sms_settings, gateway):
    customer = CustomerFactory()

    def place_then_fail() -> None:
        with transaction.atomic():
            place(customer)
            raise RuntimeError("something after the order failed")

    with pytest.raises(RuntimeError):
        place_then_fail()
    assert not Order.objects.exists()
    assert not SmsNotification.objects.exists()
    run_worker_once()
    assert gateway.requests == []


def test_a_claimed_notification_is_not_claimed_again_until_its_lease_expires(sms_settings):
    place()
    [claim] = claim_due_notifications(limit=10)
    assert claim_due_notifications(limit=10) == []
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.SENDING

    [takeover] = claim_due_notifications(limit=10, now=notification.locked_until)
    assert takeover.attempt == 2
    # The worker that lost its lease can no longer record an outcome; the new owner can.
    assert record_sent(claim=claim, provider_message_id="late") is False
    assert record_sent(claim=takeover, provider_message_id="ATXid_1") is True
    notification.refresh_from_db()
    assert (notification.status, notification.provider_message_id) == (SmsStatus.SENT, "ATXid_1")


def test_the_console_backend_prints_the_message_with_a_masked_number(settings, capsys):
    settings.SMS_BACKEND = "console"
    order = place(CustomerFactory(name="Ann Otieno", contact_number="+254712345678"))
    run_worker_once()
    out = capsys.readouterr().out
    assert "Hi Ann," in out
    assert f"#{order.pk}" in out
    assert "+254712345678" not in out
    assert "+254*******78" in out
    assert SmsNotification.objects.get().status == SmsStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_has_its_claim_sent_after_the_lease_expires(sms_settings, gateway):
    order = place()
    gateway.latency = 5
    worker = start_worker_process(gateway, SMS_LEASE_SECONDS="3", SMS_TIMEOUT="1")
    try:
        assert gateway.received.wait(20)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        worker.output()
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.SENDING
    assert notification.attempts == 1

    gateway.latency = 0
    run_worker_once()  # the lease still holds: nobody takes the row over yet
    assert SmsNotification.objects.get().status == SmsStatus.SENDING

    time.sleep(max(0.0, (notification.locked_until - notification.updated_at).total_seconds()))
    run_worker_once()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (SmsStatus.SENT, 2)
    assert order.customer.contact_number in gateway.accepted_per_number()


@pytest.mark.django_db(transaction=True)
def test_sigterm_finishes_the_message_in_hand_then_exits(sms_settings, gateway):
    place()
    gateway.latency = 1.0
    worker = start_worker_process(gateway, SMS_TIMEOUT="3", SMS_LEASE_SECONDS="10")
    try:
        assert gateway.received.wait(20)
        worker.send_signal(signal.SIGTERM)
        worker.wait(15)
    finally:
        worker.kill()
    output = worker.output()
    assert worker.returncode == 0, output
    assert "sms_worker_stopping signal=SIGTERM" in output
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.SENT
    assert len(gateway.accepted) == 1


def drain_with_two_worker_processes(gateway, count: int, latency: float) -> None:
    customers = CustomerFactory.create_batch(count)
    with transaction.atomic():
        for customer in customers:
            place(customer)
    # Slow enough that the second worker is up before the first has drained everything.
    gateway.latency = latency
    workers = [
        start_worker_process(
            gateway, "--once", SMS_WORKER_CONCURRENCY="8", SMS_TIMEOUT="1", SMS_LEASE_SECONDS="3"
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.wait(120)
    outputs = [w.output() for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    counts = gateway.accepted_per_number()
    assert len(counts) == count
    assert set(counts.values()) == {1}
    assert set(SmsNotification.objects.values_list("status", "attempts")) == {(SmsStatus.SENT, 1)}
    # Both workers took part (otherwise this would prove nothing about concurrency).
    assert all("processed=" in o and "processed=0" not in o for o in outputs), outputs


@pytest.mark.django_db(transaction=True)
def test_two_workers_side_by_side_send_each_message_once(gateway):
    drain_with_two_worker_processes(gateway, 150, latency=0.2)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_drain_a_thousand_notifications_each_sent_exactly_once(gateway):
    drain_with_two_worker_processes(gateway, 1000, latency=0.05)


def test_the_worker_outlives_a_database_it_cannot_reach(gateway, tmp_path):
    worker = start_worker_process(
        gateway, DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}"
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and worker.poll() is None:
            worker.log.seek(0)
            if worker.log.read().count("sms_worker_database_error") >= 2:
                break
            time.sleep(0.1)
        assert worker.poll() is None  # still running, still trying
        worker.send_signal(signal.SIGTERM)
        worker.wait(15)
    finally:
        worker.kill()
    output = worker.output()
    assert output.count("sms_worker_database_error") >= 2, output
    assert worker.returncode == 0, output


def test_a_slow_call_holds_up_only_its_own_thread(sms_settings, gateway):
    slow = place()
    fast = [place() for _ in range(12)]
    sms_settings.SMS_TIMEOUT = 3
    sms_settings.SMS_LEASE_SECONDS = 10
    # Long enough for the twelve others to go through two threads even on a loaded machine.
    gateway.delays[slow.customer.contact_number] = 2.0
    gateway.latency = 0.01
    call_command("sms_worker", "--once", "--concurrency", "3")
    sent_in_order = [m.to for m in gateway.accepted]
    # The other two threads sent all twelve while the slow call was still waiting.
    assert sent_in_order[-1] == slow.customer.contact_number
    assert set(sent_in_order[:-1]) == {o.customer.contact_number for o in fast}
