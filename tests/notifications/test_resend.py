"""POST /api/orders/{id}/sms/resend/, and the admin's resend action."""

from __future__ import annotations

import pytest

from notifications.api import ResendSmsView
from notifications.models import SmsNotification, SmsStatus
from orders.services import order_update
from tests.factories import OrderFactory, UserFactory
from tests.notifications.conftest import place, run_worker_once, sms_of

pytestmark = pytest.mark.django_db


def fail(notification: SmsNotification, reason: str = "UserInBlacklist") -> None:
    SmsNotification.objects.filter(pk=notification.pk).update(
        status=SmsStatus.FAILED, attempts=1, last_error=reason, provider_message_id="ATXid_old"
    )


def test_a_failed_sms_is_queued_again_and_then_sent(api_client, sms_settings, gateway):
    order = place()
    fail(sms_of(order))
    response = api_client.post(f"/api/orders/{order.pk}/sms/resend/")
    assert response.status_code == 202
    assert response.json() | {"updated_at": None} == {
        "kind": "order_received",
        "status": "queued",
        "language": "en",
        "encoding": "GSM-7",
        "segments": 1,
        "attempts": 0,
        "last_error": "",
        "provider_message_id": "",
        "updated_at": None,
    }
    run_worker_once()
    notification = SmsNotification.objects.get()
    assert (notification.status, notification.attempts) == (SmsStatus.SENT, 1)
    assert len(gateway.accepted) == 1


def test_a_resend_goes_to_the_customers_corrected_number(api_client, sms_settings, gateway):
    order = place()
    fail(sms_of(order))
    order.customer.contact_number = "+254722000001"
    order.customer.save()
    api_client.post(f"/api/orders/{order.pk}/sms/resend/")
    run_worker_once()
    assert [m.to for m in gateway.accepted] == ["+254722000001"]


@pytest.mark.parametrize("status", [SmsStatus.QUEUED, SmsStatus.SENT, SmsStatus.DELIVERED])
def test_only_a_failed_sms_can_be_resent(api_client, status):
    order = place()
    SmsNotification.objects.filter(pk=sms_of(order).pk).update(status=status)
    response = api_client.post(f"/api/orders/{order.pk}/sms/resend/")
    assert response.status_code == 409
    assert status in response.json()["detail"]
    assert SmsNotification.objects.get().status == status


def test_an_order_without_sms_or_an_unknown_order_is_404(api_client):
    assert api_client.post(f"/api/orders/{OrderFactory().pk}/sms/resend/").status_code == 404
    assert api_client.post("/api/orders/999999/sms/resend/").status_code == 404


def test_resend_needs_an_authenticated_caller_with_the_orders_scope(anonymous_client):
    order = place()
    fail(sms_of(order))
    assert anonymous_client.post(f"/api/orders/{order.pk}/sms/resend/").status_code in (401, 403)
    assert ResendSmsView.scope_resource == "orders"
    assert SmsNotification.objects.get().status == SmsStatus.FAILED


def test_the_admin_resend_action_queues_the_failed_ones(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    failed, sent = sms_of(place()), sms_of(place())
    fail(failed)
    SmsNotification.objects.filter(pk=sent.pk).update(status=SmsStatus.SENT)
    response = client.post(
        "/admin/notifications/smsnotification/",
        {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, sent.status) == (SmsStatus.QUEUED, SmsStatus.SENT)


def test_the_admin_lists_notifications_filtered_by_status(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    fail(sms_of(place()))
    place()
    response = client.get("/admin/notifications/smsnotification/", {"status__exact": "failed"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_a_kind_chooses_which_failed_message_is_sent_again(api_client, sms_settings, gateway):
    order = place()
    order_update(order=order, status="fulfilled")
    fail(sms_of(order))
    fail(sms_of(order, "order_ready"))
    response = api_client.post(
        f"/api/orders/{order.pk}/sms/resend/", {"kind": "order_ready"}, format="json"
    )
    assert response.status_code == 202
    assert (response.json()["kind"], response.json()["status"]) == ("order_ready", "queued")
    assert sms_of(order).status == SmsStatus.FAILED  # the other kind is left alone
    run_worker_once()
    assert sms_of(order, "order_ready").status == SmsStatus.SENT
    assert "is ready for collection" in gateway.accepted[0].message


def test_a_resend_is_in_the_history_with_who_asked(api_client, user):
    order = place()
    fail(sms_of(order))
    api_client.post(f"/api/orders/{order.pk}/sms/resend/")
    last = api_client.get(f"/api/orders/{order.pk}/history/").json()[-1]
    assert last["action"] == "sms"
    assert last["changed_by"] == {"issuer": "built-in", "subject": str(user.pk)}
    assert last["changes"] == [
        {"field": "sms.order_received.status", "old": "queued", "new": "queued"},
        {"field": "sms.order_received.note", "old": None, "new": "Sent again on request"},
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"kind": "order_shipped"}, "kind"), ({"kind": None}, "kind"), ({"knid": "x"}, "knid")],
)
def test_an_unknown_kind_or_field_is_a_400_naming_it(api_client, body, field):
    order = place()
    fail(sms_of(order))
    response = api_client.post(f"/api/orders/{order.pk}/sms/resend/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert sms_of(order).status == SmsStatus.FAILED


def test_a_kind_the_order_has_no_message_of_is_404(api_client):
    order = place()
    response = api_client.post(
        f"/api/orders/{order.pk}/sms/resend/", {"kind": "order_cancelled"}, format="json"
    )
    assert response.status_code == 404
