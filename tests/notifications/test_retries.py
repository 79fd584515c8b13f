"""Retry timing, and what the worker does when a backend itself is broken."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from notifications.models import SmsNotification, SmsStatus
from notifications.services import retry_delay
from tests.notifications.conftest import ROOT, place, run_one_step


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 10, 30])
def test_retry_delays_grow_exponentially_with_jitter_up_to_the_cap(settings, attempt):
    settings.SMS_BACKOFF_BASE_SECONDS = 30
    settings.SMS_BACKOFF_MAX_SECONDS = 3600
    ceiling = min(3600, 30 * 2 ** (attempt - 1))
    delays = {retry_delay(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jittered: failures that happened together spread out


@pytest.mark.django_db
def test_a_crashing_backend_leaves_the_message_queued_for_retry_not_stuck(settings):
    settings.SMS_BACKEND = "tests.support.sms_backends.BrokenBackend"
    place()
    assert run_one_step() == 1
    notification = SmsNotification.objects.get()
    assert notification.status == SmsStatus.QUEUED
    assert notification.last_error == "Unexpected error in the SMS backend"


def _manage_with_africastalking_but_no_key(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x",
        "SMS_BACKEND": "africastalking",
        "AFRICASTALKING_API_KEY": "",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_africastalking_backend_without_an_api_key_stops_the_worker_at_start():
    result = _manage_with_africastalking_but_no_key("sms_worker", "--once")
    assert result.returncode != 0
    assert "AFRICASTALKING_API_KEY" in result.stderr


def test_processes_that_never_send_start_without_the_api_key():
    # Web pods, migrations and cron jobs share the worker's configuration but not its key.
    result = _manage_with_africastalking_but_no_key("check")
    assert result.returncode == 0, result.stderr
