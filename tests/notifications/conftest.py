from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection

from notifications.backends import locmem
from notifications.management.commands.sms_worker import Command
from notifications.models import SmsNotification
from orders.services import place_order
from tests.factories import CustomerFactory
from tests.support.gateway import API_KEY, GatewayDouble

ROOT = Path(__file__).resolve().parents[2]
CALLBACK_SECRET = "callback-secret-for-tests"


@pytest.fixture(autouse=True)
def _empty_locmem_outbox() -> Iterator[None]:
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def gateway() -> Iterator[GatewayDouble]:
    double = GatewayDouble().start()
    yield double
    double.stop()


@pytest.fixture
def sms_settings(settings, gateway):
    """The Africa's Talking backend pointed at the double, with retries fast enough to test."""
    settings.SMS_BACKEND = "africastalking"
    settings.AFRICASTALKING_USERNAME = "pharmacy"
    settings.AFRICASTALKING_API_KEY = API_KEY
    settings.AFRICASTALKING_SENDER_ID = "PHARMACY"
    settings.AFRICASTALKING_API_URL = gateway.url
    settings.AFRICASTALKING_CALLBACK_SECRET = CALLBACK_SECRET
    settings.SMS_TIMEOUT = 0.5
    settings.SMS_LEASE_SECONDS = 3
    settings.SMS_MAX_ATTEMPTS = 5
    settings.SMS_BACKOFF_BASE_SECONDS = 0.01
    settings.SMS_BACKOFF_MAX_SECONDS = 0.05
    settings.SMS_WORKER_CONCURRENCY = 8
    return settings


def place(customer=None, **fields):
    customer = customer or CustomerFactory()
    return place_order(
        customer=customer,
        item=fields.get("item", "Paracetamol 500mg"),
        amount=fields.get("amount", 50),
        physician_name="Dr House",
    )


def sms_of(order, kind: str = "order_received") -> SmsNotification:
    """The order's message of `kind`."""
    return SmsNotification.objects.get(order=order, kind=kind)


def run_worker_once() -> None:
    """The worker as `manage.py sms_worker --once` runs it, in this process."""
    call_command("sms_worker", "--once")


def run_one_step() -> int:
    """One round of the worker: claim what is due, send it all, record every outcome.
    Returns how many notifications it handled."""
    worker = Command()
    with worker.running():
        worker.claim_for_idle_threads()
        worker.finish_in_flight()
        return worker.processed


def wait_for_backoff() -> None:
    time.sleep(django_settings.SMS_BACKOFF_MAX_SECONDS + 0.02)


def database_url() -> str:
    """The test database, as a DATABASE_URL a child process can use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


class WorkerProcess(subprocess.Popen):
    """A worker whose output goes to a file: a pipe nobody reads while the test waits on
    another worker would fill up and stall this one mid-batch (past its lease)."""

    def __init__(self, command: list[str], **kwargs) -> None:
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in output()
        super().__init__(command, stdout=self.log, stderr=subprocess.STDOUT, text=True, **kwargs)

    def output(self) -> str:
        self.log.seek(0)
        text = self.log.read()
        self.log.close()
        return text


def start_worker_process(gateway: GatewayDouble, *args: str, **env: str) -> WorkerProcess:
    """A real `manage.py sms_worker` on the test database, talking to the gateway double."""
    child_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "tests-only-not-a-secret",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "SMS_BACKEND": "africastalking",
        "AFRICASTALKING_USERNAME": "pharmacy",
        "AFRICASTALKING_API_KEY": API_KEY,
        "AFRICASTALKING_API_URL": gateway.url,
        "SMS_TIMEOUT": "1",
        "SMS_LEASE_SECONDS": "3",
        "SMS_BACKOFF_BASE_SECONDS": "0.01",
        "SMS_BACKOFF_MAX_SECONDS": "0.05",
        "SMS_POLL_SECONDS": "0.1",
        **env,
    }
    return WorkerProcess(
        [sys.executable, str(ROOT / "manage.py"), "sms_worker", *args], cwd=ROOT, env=child_env
    )
