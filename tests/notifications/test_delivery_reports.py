"""POST /api/sms/delivery-reports/?token=...: Africa's Talking tells us what became of a message."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import SmsNotification, SmsStatus
from tests.notifications.conftest import CALLBACK_SECRET, place, sms_of

pytestmark = pytest.mark.django_db

URL = "/api/sms/delivery-reports/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def sent(settings) -> SmsNotification:
    settings.AFRICASTALKING_CALLBACK_SECRET = CALLBACK_SECRET
    notification = sms_of(place())
    SmsNotification.objects.filter(pk=notification.pk).update(
        status=SmsStatus.SENT, attempts=1, provider_message_id="ATXid_abc", sent_at=timezone.now()
    )
    notification.refresh_from_db()
    return notification


def report(client, token=CALLBACK_SECRET, **fields):
    form = {"id": "ATXid_abc", "phoneNumber": "+254711000000", "networkCode": "63902"} | fields
    # As Africa's Talking sends it: an urlencoded form.
    return client.post(f"{URL}?token={token}", urlencode(form), content_type=FORM)


def test_success_marks_the_message_delivered(anonymous_client, sent):
    response = report(anonymous_client, status="Success", retryCount="0")
    assert response.status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.provider_status) == (SmsStatus.DELIVERED, "Success")
    assert sent.delivered_at is not None


def test_repeated_reports_change_nothing_more(anonymous_client, sent):
    report(anonymous_client, status="Success")
    sent.refresh_from_db()
    first = sent.updated_at
    assert report(anonymous_client, status="Success").status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.updated_at) == (SmsStatus.DELIVERED, first)


@pytest.mark.parametrize("status", ["Failed", "Rejected"])
def test_failed_and_rejected_mark_the_message_failed_with_the_reason(
    anonymous_client, sent, status
):
    report(anonymous_client, status=status, failureReason="UserInBlacklist")
    sent.refresh_from_db()
    assert sent.status == SmsStatus.FAILED
    assert "UserInBlacklist" in sent.last_error


@pytest.mark.parametrize("status", ["Sent", "Submitted", "Buffered"])
def test_intermediate_reports_are_recorded_and_keep_the_message_sent(
    anonymous_client, sent, status
):
    report(anonymous_client, status=status)
    sent.refresh_from_db()
    assert (sent.status, sent.provider_status) == (SmsStatus.SENT, status)


def test_a_late_intermediate_report_does_not_undo_delivery(anonymous_client, sent):
    report(anonymous_client, status="Success")
    report(anonymous_client, status="Buffered")
    report(anonymous_client, status="Failed", failureReason="DeliveryFailure")
    sent.refresh_from_db()
    assert (sent.status, sent.provider_status) == (SmsStatus.DELIVERED, "Success")


def test_unknown_message_ids_are_accepted_and_ignored(anonymous_client, sent):
    response = report(anonymous_client, id="ATXid_unknown", status="Success")
    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == SmsStatus.SENT


@pytest.mark.parametrize("token", ["", "wrong", CALLBACK_SECRET + "x", CALLBACK_SECRET[:-1]])
def test_a_wrong_or_missing_token_is_403_and_changes_nothing(anonymous_client, sent, token):
    assert report(anonymous_client, token=token, status="Success").status_code == 403
    no_token = anonymous_client.post(URL, "id=ATXid_abc&status=Success", content_type=FORM)
    assert no_token.status_code == 403
    sent.refresh_from_db()
    assert sent.status == SmsStatus.SENT


def test_reports_are_refused_while_no_secret_is_configured(anonymous_client, sent, settings):
    settings.AFRICASTALKING_CALLBACK_SECRET = ""
    assert report(anonymous_client, token="", status="Success").status_code == 403


def test_a_report_without_id_or_status_is_400(anonymous_client, sent):
    response = anonymous_client.post(
        f"{URL}?token={CALLBACK_SECRET}", "status=Success", content_type=FORM
    )
    assert response.status_code == 400


def test_reports_need_no_csrf_token_even_from_a_browser_session(sent, user):
    # A session-authenticated POST elsewhere in the API needs a CSRF token; the gateway has none.
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert report(client, status="Success").status_code == 200


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("name", ["django.server", "django.request"])
def test_the_token_is_redacted_from_the_access_log(name):
    logger = logging.getLogger(name)
    capture = Capture()
    logger.addHandler(capture)
    try:
        # As runserver's request handler logs a request line. (These loggers pass only ERROR
        # and above: RequestLogMiddleware logs every request, without its query string.)
        logger.error('"%s" %s %s', f"POST {URL}?token={CALLBACK_SECRET}&x=1 HTTP/1.1", "403", "27")
    finally:
        logger.removeHandler(capture)
    [line] = capture.lines
    assert CALLBACK_SECRET not in line
    assert f'"POST {URL}?token=[redacted]&x=1 HTTP/1.1" 403 27' == line
