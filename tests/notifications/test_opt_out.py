"""Opting out: the patient's replies and Africa's Talking's opt-out callback, staff through
the API and the admin, and the worker suppressing what falls due for an opted-out patient."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from config.logging import JsonFormatter
from customers.models import Customer
from identity.scopes import AccessGrant
from notifications.models import InboundSms, SmsKind, SmsNotification, SmsStatus
from orders.services import order_update
from tests.factories import CustomerFactory, UserFactory
from tests.notifications.conftest import CALLBACK_SECRET, place, run_worker_once, sms_of

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
NUMBER = "+254711000077"
INBOUND = "/api/sms/inbound/"
OPT_OUTS = "/api/sms/opt-outs/"


@pytest.fixture(autouse=True)
def _callback_secret(settings):
    settings.AFRICASTALKING_CALLBACK_SECRET = CALLBACK_SECRET


@pytest.fixture
def family():
    """Two patients sharing one phone, and one with another number."""
    return (
        CustomerFactory(contact_number=NUMBER),
        CustomerFactory(contact_number=NUMBER),
        CustomerFactory(contact_number="+254711000078"),
    )


_ids = iter(range(1, 10_000))


def reply(client, text, *, sender=NUMBER, token=CALLBACK_SECRET, message_id=None, **extra):
    form = {
        "from": sender,
        "to": "40404",
        "text": text,
        "date": "2026-11-27 10:00:00",
        "id": message_id or f"ATXid_in_{next(_ids)}",
        "linkId": "SampleLinkId123",
        "networkCode": "63902",
    } | extra
    return client.post(f"{INBOUND}?token={token}", urlencode(form), content_type=FORM)


def opted_out(*customers) -> list[bool]:
    return [Customer.objects.get(pk=c.pk).sms_opt_out for c in customers]


@pytest.mark.parametrize("text", ["STOP", "stop", "  Stop All ", "STOP  ALL", "ACHA", "sitisha"])
def test_a_stop_reply_opts_out_every_patient_with_the_number(anonymous_client, family, text):
    response = reply(anonymous_client, text)
    assert response.status_code == 200
    assert opted_out(*family) == [True, True, False]
    patient = Customer.objects.get(pk=family[0].pk)
    assert patient.sms_opt_out_source == "patient_reply"
    assert patient.sms_opt_out_at is not None
    inbound = InboundSms.objects.get()
    assert (inbound.action, inbound.customers_matched, inbound.text) == ("opt_out", 2, text)


@pytest.mark.parametrize("text", ["START", " anza "])
def test_a_start_reply_opts_them_back_in(anonymous_client, family, text):
    reply(anonymous_client, "ACHA")
    assert reply(anonymous_client, text).status_code == 200
    assert opted_out(*family) == [False, False, False]
    patient = Customer.objects.get(pk=family[0].pk)
    assert (patient.sms_opt_out_at, patient.sms_opt_out_source) == (None, None)


@pytest.mark.parametrize("text", ["Thank you", "STOP please", "STOPP", "", "asante"])
def test_other_replies_are_recorded_and_change_nothing(anonymous_client, family, text):
    assert reply(anonymous_client, text).status_code == 200
    assert opted_out(*family) == [False, False, False]
    inbound = InboundSms.objects.get()
    assert (inbound.action, inbound.customers_matched) == ("none", 0)


def test_a_reply_from_an_unknown_number_is_recorded_and_answered_200(anonymous_client, family):
    assert reply(anonymous_client, "STOP", sender="+254799999999").status_code == 200
    assert reply(anonymous_client, "STOP", sender="not-a-number").status_code == 200
    assert opted_out(*family) == [False, False, False]
    assert list(InboundSms.objects.values_list("customers_matched", flat=True)) == [0, 0]


def test_the_same_incoming_message_twice_is_applied_once(anonymous_client, family):
    reply(anonymous_client, "STOP", message_id="ATXid_1")
    reply(anonymous_client, "START", message_id="ATXid_2")
    # The gateway sends the first callback again: it must not undo the later START.
    assert reply(anonymous_client, "STOP", message_id="ATXid_1").status_code == 200
    assert opted_out(*family) == [False, False, False]
    assert InboundSms.objects.count() == 2


def test_each_change_is_in_the_patients_audit_trail(anonymous_client, family):
    reply(anonymous_client, "STOP")
    reply(anonymous_client, "STOP")  # already opted out: nothing new to record
    reply(anonymous_client, "ANZA")
    records = Customer.history.filter(id=family[0].pk).order_by("history_date", "history_id")
    assert [(r.sms_opt_out, r.history_change_reason) for r in records] == [
        (False, None),
        (True, "SMS opt-out: The patient's reply (STOP, ACHA...)"),
        (False, "SMS opt-in: The patient's reply (STOP, ACHA...)"),
    ]
    assert all(r.history_user is None for r in records)


def test_the_gateways_opt_out_callback_opts_out_every_patient_with_the_number(
    anonymous_client, family
):
    form = urlencode({"senderId": "PHARMACY", "phoneNumber": NUMBER})
    response = anonymous_client.post(f"{OPT_OUTS}?token={CALLBACK_SECRET}", form, content_type=FORM)
    assert response.status_code == 200
    assert opted_out(*family) == [True, True, False]
    assert Customer.objects.get(pk=family[1].pk).sms_opt_out_source == "gateway"
    # Idempotent.
    again = anonymous_client.post(f"{OPT_OUTS}?token={CALLBACK_SECRET}", form, content_type=FORM)
    assert again.status_code == 200
    assert Customer.history.filter(id=family[1].pk).count() == 2


@pytest.mark.parametrize("path", [INBOUND, OPT_OUTS])
@pytest.mark.parametrize("token", ["", "wrong", CALLBACK_SECRET + "x", CALLBACK_SECRET[:-1]])
def test_a_wrong_or_missing_token_is_403_and_changes_nothing(anonymous_client, family, path, token):
    form = urlencode(
        {"from": NUMBER, "to": "40404", "text": "STOP", "id": "ATXid_x", "phoneNumber": NUMBER}
        | {"senderId": "PHARMACY"}
    )
    assert (
        anonymous_client.post(f"{path}?token={token}", form, content_type=FORM).status_code == 403
    )
    assert anonymous_client.post(path, form, content_type=FORM).status_code == 403
    assert opted_out(*family) == [False, False, False]
    assert not InboundSms.objects.exists()


@pytest.mark.parametrize("path", [INBOUND, OPT_OUTS])
def test_the_callbacks_are_closed_while_no_secret_is_configured(
    anonymous_client, settings, family, path
):
    settings.AFRICASTALKING_CALLBACK_SECRET = ""
    form = urlencode({"from": NUMBER, "to": "1", "text": "STOP", "id": "1", "phoneNumber": NUMBER})
    assert anonymous_client.post(f"{path}?token=", form, content_type=FORM).status_code == 403


@pytest.mark.parametrize(
    ("path", "form"),
    [
        (INBOUND, {"to": "40404", "text": "STOP", "id": "ATXid_1"}),  # no `from`
        (INBOUND, {"from": NUMBER, "to": "40404", "text": "STOP"}),  # no `id`
        (INBOUND, {"from": NUMBER, "to": "40404", "id": "ATXid_1"}),  # no `text`
        (INBOUND, {"from": NUMBER * 5, "to": "40404", "text": "STOP", "id": "ATXid_1"}),
        (INBOUND, {"from": NUMBER, "to": "40404", "text": "STOP\x00", "id": "ATXid_1"}),
        (OPT_OUTS, {"senderId": "PHARMACY"}),  # no `phoneNumber`
        (OPT_OUTS, {"phoneNumber": NUMBER}),  # no `senderId`
    ],
)
def test_a_malformed_callback_is_400_and_changes_nothing(anonymous_client, family, path, form):
    response = anonymous_client.post(
        f"{path}?token={CALLBACK_SECRET}", urlencode(form), content_type=FORM
    )
    assert response.status_code == 400
    assert opted_out(*family) == [False, False, False]
    assert not InboundSms.objects.exists()


@pytest.mark.parametrize("path", [INBOUND, OPT_OUTS])
def test_a_callback_that_is_not_a_form_is_refused(anonymous_client, family, path):
    response = anonymous_client.post(
        f"{path}?token={CALLBACK_SECRET}", '{"phoneNumber": "x"}', content_type="application/json"
    )
    assert response.status_code == 415


def test_the_callbacks_never_log_the_number_or_the_text(anonymous_client, family, caplog):
    caplog.set_level(logging.DEBUG)
    reply(anonymous_client, "STOP my diabetes pills")
    reply(anonymous_client, "stop")
    anonymous_client.post(
        f"{OPT_OUTS}?token={CALLBACK_SECRET}",
        urlencode({"senderId": "PHARMACY", "phoneNumber": NUMBER}),
        content_type=FORM,
    )
    reply(anonymous_client, "STOP", token="wrong-token-in-logs")
    assert len(caplog.records) >= 4
    for record in caplog.records:
        line = JsonFormatter().format(record)
        for secret in ("711000077", "diabetes", CALLBACK_SECRET, "wrong-token-in-logs"):
            assert secret not in line, line


# --- Staff: the API and the admin ---------------------------------------------------------


def test_staff_opt_a_patient_out_and_back_in_through_the_api(api_client, user):
    patient = CustomerFactory(code="P1")
    response = api_client.post("/api/customers/p1/sms-opt-out/")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["sms_opt_out"], body["sms_opt_out_source"]) == ("P1", True, "staff")
    assert body["sms_opt_out_at"] is not None
    assert api_client.post("/api/customers/P1/sms-opt-out/").status_code == 200  # idempotent

    response = api_client.delete("/api/customers/P1/sms-opt-out/")
    assert response.status_code == 200
    body = response.json()
    assert (body["sms_opt_out"], body["sms_opt_out_at"], body["sms_opt_out_source"]) == (
        False,
        None,
        None,
    )
    records = Customer.history.filter(id=patient.pk).order_by("history_date", "history_id")
    assert [(r.sms_opt_out, r.history_user) for r in records] == [
        (False, None),
        (True, user),
        (False, user),
    ]


def test_the_opt_out_of_an_unknown_patient_is_404(api_client):
    assert api_client.post("/api/customers/NOPE/sms-opt-out/").status_code == 404
    assert api_client.delete("/api/customers/NOPE/sms-opt-out/").status_code == 404


def test_the_opt_out_needs_the_customers_write_scope():
    CustomerFactory(code="P2")
    user = UserFactory()
    client = APIClient()
    grant = AccessGrant(issuer="tests", subject="1", scopes=frozenset({"customers:read"}))
    client.force_authenticate(user=user, token=grant)
    response = client.post("/api/customers/P2/sms-opt-out/")
    assert response.status_code == 403
    assert 'scope="customers:write"' in response["WWW-Authenticate"]
    assert APIClient().delete("/api/customers/P2/sms-opt-out/").status_code == 401
    assert Customer.objects.get(code="P2").sms_opt_out is False


def test_the_opt_out_fields_are_read_only_in_the_customer_api(api_client):
    CustomerFactory(code="P3")
    response = api_client.patch(
        "/api/customers/P3/",
        {"sms_opt_out": True, "sms_opt_out_source": "staff", "name": "New"},
        format="json",
    )
    assert response.status_code in (200, 400)
    assert Customer.objects.get(code="P3").sms_opt_out is False


def test_staff_opt_patients_out_and_in_from_the_admin(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    first, second = CustomerFactory(), CustomerFactory()
    url = "/admin/customers/customer/"
    selected = [first.pk, second.pk]
    client.post(url, {"action": "opt_out_of_sms", "_selected_action": selected})
    assert opted_out(first, second) == [True, True]
    assert Customer.objects.get(pk=first.pk).sms_opt_out_source == "staff"
    client.post(url, {"action": "opt_back_in_to_sms", "_selected_action": [first.pk]})
    assert opted_out(first, second) == [False, True]
    assert Customer.history.filter(id=first.pk).latest("history_date").history_user == admin
    assert client.get(url, {"sms_opt_out__exact": "1"}).context["cl"].result_count == 1


# --- The worker suppresses what falls due --------------------------------------------------


def test_a_message_due_for_an_opted_out_patient_is_suppressed_not_sent(
    api_client, sms_settings, gateway
):
    order = place(CustomerFactory(code="P4"))
    api_client.post("/api/customers/P4/sms-opt-out/")
    run_worker_once()
    sms = sms_of(order)
    assert sms.status == SmsStatus.SUPPRESSED
    assert sms.last_error == "Not sent: the patient opted out of SMS (Staff (API or admin))."
    assert sms.attempts == 0
    assert gateway.requests == []
    body = api_client.get(f"/api/orders/{order.pk}/").json()
    assert body["sms"]["status"] == "suppressed"
    history = api_client.get(f"/api/orders/{order.pk}/history/").json()
    assert history[-1]["changes"][0] == {
        "field": "sms.order_received.status",
        "old": "queued",
        "new": "suppressed",
    }


def test_opting_back_in_does_not_resend_old_messages_but_new_ones_go(
    api_client, anonymous_client, sms_settings, gateway
):
    customer = CustomerFactory(contact_number=NUMBER)
    order = place(customer)
    reply(anonymous_client, "STOP")
    run_worker_once()
    reply(anonymous_client, "START")
    run_worker_once()
    assert sms_of(order).status == SmsStatus.SUPPRESSED
    assert api_client.post(f"/api/orders/{order.pk}/sms/resend/").status_code == 409
    order_update(order=order, status="fulfilled")
    run_worker_once()
    assert sms_of(order, SmsKind.ORDER_READY).status == SmsStatus.SENT
    assert [m.to for m in gateway.accepted] == [NUMBER]


def test_a_batch_of_suppressed_messages_does_not_stop_the_worker_short(sms_settings, gateway):
    sms_settings.SMS_WORKER_CONCURRENCY = 2
    silent = CustomerFactory(contact_number=NUMBER)
    for _ in range(5):
        place(silent)
    loud = [place() for _ in range(3)]
    Customer.objects.filter(pk=silent.pk).update(
        sms_opt_out=True, sms_opt_out_at="2026-11-27T10:00:00Z", sms_opt_out_source="gateway"
    )
    run_worker_once()
    statuses = SmsNotification.objects.values_list("order__customer", "status")
    assert {s for c, s in statuses if c == silent.pk} == {SmsStatus.SUPPRESSED}
    assert {s for c, s in statuses if c != silent.pk} == {SmsStatus.SENT}
    assert len(gateway.accepted) == len(loud)


@pytest.mark.parametrize("path", [INBOUND, OPT_OUTS, "/api/sms/delivery-reports/"])
@pytest.mark.parametrize("method", ["get", "put", "delete", "trace"])
def test_other_methods_on_a_callback_are_405_even_without_a_token(anonymous_client, path, method):
    assert getattr(anonymous_client, method)(path).status_code == 405
