"""Metrics as production serves them: gunicorn with several worker processes (their values
added up whichever one answers the scrape, and kept when a worker is recycled), and the SMS
worker's own metrics port."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from tests.monitoring.conftest import METRICS_TOKEN, assert_no_label_contains, parse, value
from tests.notifications.conftest import place, start_worker_process
from tests.support.processes import free_port, gunicorn_with_token_and_pid

pytestmark = pytest.mark.django_db(transaction=True)

SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}
REQUESTS = "patient_orders_http_requests_total"


def _workers_of(master: int) -> set[int]:
    result = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, check=False
    )
    return {int(pid) for pid in result.stdout.split()}


def _replace_every_worker(master: int) -> None:
    """Stop each worker process (gunicorn starts new ones) and wait for their successors."""
    old = _workers_of(master)
    for pid in old:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = _workers_of(master)
        if len(current) == len(old) and not current & old:
            return
        time.sleep(0.2)
    raise AssertionError("gunicorn did not replace its workers")


def test_scrapes_add_up_every_gunicorn_worker_even_after_they_are_replaced(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with gunicorn_with_token_and_pid(
        WEB_CONCURRENCY="2", GUNICORN_THREADS="2", METRICS_BEARER_TOKEN=METRICS_TOKEN
    ) as (base_url, headers, master):
        assert httpx.get(f"{base_url}/metrics").status_code == 404
        for _ in range(10):
            assert httpx.get(f"{base_url}/api/customers/", headers=headers).status_code == 200
        httpx.post(f"{base_url}/api/customers/", headers=headers, json={"code": "SECRETCODE9"})
        # Not one process that answered those requests is left: a scrape that showed only its
        # own process's numbers would show none of them.
        _replace_every_worker(master)
        # Prometheus scrapes a pod by its address, over plain HTTP: no host check applies.
        scrapes = [
            httpx.get(f"{base_url}/metrics", headers={**SCRAPE, "Host": "10.244.1.7:8000"})
            for _ in range(4)
        ]
    for scrape in scrapes:
        assert scrape.status_code == 200
        samples = parse(scrape.text)
        assert value(samples, REQUESTS, view="customers:list", method="GET", status="200") == 10
        assert value(samples, REQUESTS, view="customers:list", method="POST", status="400") == 1
        assert value(samples, "patient_orders_db_queries_total", operation="select") > 0
        token = headers["Authorization"].removeprefix("Bearer ")
        assert_no_label_contains(samples, ["SECRETCODE9", token[:12], METRICS_TOKEN])


def test_the_sms_worker_serves_its_sends_on_its_metrics_port(gateway):
    for _ in range(3):
        place()
    port = free_port()
    worker = start_worker_process(
        gateway, "--metrics-port", str(port), METRICS_BEARER_TOKEN=METRICS_TOKEN
    )
    try:
        deadline = time.monotonic() + 30
        while len(gateway.accepted) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/metrics"
        samples = parse(httpx.get(url, headers=SCRAPE).text)
        refused = httpx.get(url).status_code
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        worker.output()
    assert refused == 404
    assert value(samples, "patient_orders_sms_sends_total", outcome="sent") == 3
    gateway_calls = "patient_orders_sms_gateway_duration_seconds_count"
    assert value(samples, gateway_calls, result="success") == 3
