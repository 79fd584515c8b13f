"""Metrics as production serves them: gunicorn with several worker processes (their values
added up whichever one answers the scrape), and the SMS worker's own metrics port."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.monitoring.conftest import METRICS_TOKEN, assert_no_label_contains, parse, value
from tests.notifications.conftest import place, start_worker_process
from tests.support.processes import free_port, gunicorn_with_token

pytestmark = pytest.mark.django_db(transaction=True)

SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def test_every_gunicorn_worker_scrape_reports_the_requests_of_all_workers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with gunicorn_with_token(
        WEB_CONCURRENCY="3", GUNICORN_THREADS="2", METRICS_BEARER_TOKEN=METRICS_TOKEN
    ) as (base_url, headers):
        assert httpx.get(f"{base_url}/metrics").status_code == 404
        # A fresh connection per request, so the requests spread over the workers.
        for _ in range(12):
            assert httpx.get(f"{base_url}/api/customers/", headers=headers).status_code == 200
        httpx.post(f"{base_url}/api/customers/", headers=headers, json={"code": "SECRETCODE9"})
        # Prometheus scrapes a pod by its address, over plain HTTP: no host check applies.
        scrapes = [
            httpx.get(f"{base_url}/metrics", headers={**SCRAPE, "Host": "10.244.1.7:8000"})
            for _ in range(6)
        ]
    for scrape in scrapes:
        assert scrape.status_code == 200
        samples = parse(scrape.text)
        requests = "patient_orders_http_requests_total"
        assert value(samples, requests, view="customers:list", method="GET", status="200") == 12
        assert value(samples, requests, view="customers:list", method="POST", status="400") == 1
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
    assert (
        value(samples, "patient_orders_sms_gateway_duration_seconds_count", result="success") == 3
    )
