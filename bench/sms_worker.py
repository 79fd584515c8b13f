"""Throughput of one `manage.py sms_worker` process against the gateway double at 200 ms a call.

    make bench-sms                       # 1,000 notifications, the default concurrency
    BENCH_SMS_COUNT=3000 make bench-sms

The worker runs as a real process (`sms_worker --once`) on a throwaway SQLite database
(var/bench-sms.sqlite3, or BENCH_DATABASE_URL: a database you can throw away, it is filled
with bench customers), sending over real HTTP to the gateway double in this process. The
baseline, measured in the same run, is the same worker sending one message at a time
(`--concurrency 1`), which is what a send-in-the-request or sequential loop would manage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_FILE = ROOT / "var" / "bench-sms.sqlite3"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{DB_FILE}")
COUNT = int(os.environ.get("BENCH_SMS_COUNT", "1000"))
BASELINE_COUNT = int(os.environ.get("BENCH_SMS_BASELINE_COUNT", "20"))
LATENCY = float(os.environ.get("BENCH_SMS_LATENCY", "0.2"))
TARGET = 50.0

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-a-secret"),
        "DATABASE_URL": DATABASE_URL,
        "SMS_BACKEND": "locmem",
        "ENV_FILE": "/dev/null",
        # Identity is not under test here; an issuer spares the built-in provider's key.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER") or "https://bench.invalid",
    }
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from customers.models import Customer  # noqa: E402
from notifications.models import SmsNotification, SmsStatus  # noqa: E402
from notifications.services import queue_order_notification  # noqa: E402
from orders.models import Order  # noqa: E402
from tests.support.gateway import API_KEY, GatewayDouble  # noqa: E402


def fill(count: int, tag: str) -> None:
    """`count` placed orders, each with its queued SMS, as `place_order` leaves them."""
    stamp = time.time_ns()
    with transaction.atomic():
        customers = Customer.objects.bulk_create(
            Customer(
                code=f"B{tag[0]}{stamp % 10**9}-{n}",
                name=f"Bench Customer {n}",
                contact_number=f"+2547{n % 100_000_000:08d}",
                email=f"bench{n}@example.com",
            )
            for n in range(count)
        )
        orders = Order.objects.bulk_create(
            Order(customer=c, item="Paracetamol", amount=Decimal("50.00"), physician_name="Dr")
            for c in customers
        )
        for order in orders:
            queue_order_notification(order=order)


def run_worker(gateway: GatewayDouble, *args: str) -> float:
    env = {
        **os.environ,
        "SMS_BACKEND": "africastalking",
        "AFRICASTALKING_USERNAME": "bench",
        "AFRICASTALKING_API_KEY": API_KEY,
        "AFRICASTALKING_API_URL": gateway.url,
        "LOG_LEVEL": "WARNING",
    }
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "sms_worker", "--once", *args],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return time.monotonic() - started


def drained(count: int) -> None:
    sent = SmsNotification.objects.filter(status=SmsStatus.SENT).count()
    if sent != count or SmsNotification.objects.exclude(status=SmsStatus.SENT).exists():
        raise SystemExit(f"expected {count} sent notifications, found {sent}")


def main() -> None:
    if f"sqlite:///{DB_FILE}" == DATABASE_URL:
        DB_FILE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    SmsNotification.objects.all().delete()
    gateway = GatewayDouble(latency=LATENCY).start()
    try:
        fill(BASELINE_COUNT, "baseline")
        baseline_seconds = run_worker(gateway, "--concurrency", "1")
        drained(BASELINE_COUNT)
        SmsNotification.objects.all().delete()

        fill(COUNT, "run")
        seconds = run_worker(gateway)
        drained(COUNT)
    finally:
        gateway.stop()
    if len(gateway.accepted) != COUNT + BASELINE_COUNT:
        raise SystemExit(f"the gateway accepted {len(gateway.accepted)} messages")

    from django.conf import settings

    rate = COUNT / seconds
    baseline = BASELINE_COUNT / baseline_seconds
    print(f"database: {connection.vendor}; gateway latency: {LATENCY * 1000:.0f} ms per call")
    print(
        f"one worker, concurrency {settings.SMS_WORKER_CONCURRENCY}: {COUNT} notifications "
        f"in {seconds:.2f} s = {rate:.1f} notifications/s (process start-up included)"
    )
    print(
        f"baseline, one at a time: {BASELINE_COUNT} in {baseline_seconds:.2f} s = "
        f"{baseline:.1f} notifications/s"
    )
    print(f"speed-up over the baseline: {rate / baseline:.1f}x")
    print(
        "RESULT "
        + json.dumps(
            {
                "notifications_per_second": round(rate, 1),
                "baseline_one_at_a_time_per_second": round(baseline, 1),
                "ratio_to_baseline": round(rate / baseline, 1),
                "concurrency": settings.SMS_WORKER_CONCURRENCY,
                "gateway_latency_ms": round(LATENCY * 1000),
                "database": connection.vendor,
            }
        )
    )
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"target {TARGET:.0f} notifications/s: {verdict}")
    if rate < TARGET:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
