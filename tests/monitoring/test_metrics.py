"""/metrics in this process: who may read it, and that each metric moves with real traffic."""

from __future__ import annotations

import httpx
import pytest
from django.db import DatabaseError, connection, transaction

from customers.models import SmsOptOutSource
from customers.services import customer_set_sms_opt_out
from monitoring.exposition import address_allowed
from monitoring.server import start_metrics_server
from tests.factories import CustomerFactory
from tests.monitoring.conftest import METRICS_TOKEN, assert_no_label_contains, value
from tests.notifications.conftest import place, run_one_step, run_worker_once, wait_for_backoff

pytestmark = pytest.mark.django_db

REQUESTS = "patient_orders_http_requests_total"


# --- Who may read it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer wrong-token-0123456789", f"Basic {METRICS_TOKEN}", f"Bearer {METRICS_TOKEN}x"],
)
def test_metrics_are_404_without_the_token(client, metrics_settings, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 404
    assert b"patient_orders" not in response.content


def test_metrics_are_404_to_everyone_while_neither_token_nor_addresses_are_set(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_an_allowed_network_may_scrape_without_the_token(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 404


def test_a_forwarded_for_header_does_not_make_an_address_allowed(client, settings):
    settings.METRICS_BEARER_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    response = client.get("/metrics", REMOTE_ADDR="192.168.1.1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert response.status_code == 404


def test_metrics_refuse_other_methods_with_the_same_404(client, metrics_settings):
    auth = f"Bearer {METRICS_TOKEN}"
    assert client.post("/metrics", HTTP_AUTHORIZATION=auth).status_code == 404


# --- The values move --------------------------------------------------------------------------


def test_requests_are_counted_by_view_method_and_status_with_their_latency(api_client, scrape):
    CustomerFactory(code="C1")
    before = scrape()
    for _ in range(3):
        assert api_client.get("/api/customers/").status_code == 200
    assert api_client.get("/api/customers/C1/").status_code == 200
    assert api_client.get("/api/customers/NOPE/").status_code == 404
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(REQUESTS, view="customers:list", method="GET", status="200") == 3
    assert moved(REQUESTS, view="customers:detail", method="GET", status="200") == 1
    assert moved(REQUESTS, view="customers:detail", method="GET", status="404") == 1
    histogram = "patient_orders_http_request_duration_seconds_count"
    assert moved(histogram, view="customers:list", method="GET") == 3
    assert moved("patient_orders_http_request_duration_seconds_sum", view="customers:list") > 0
    # A path that matches no view, and a made-up method, add no series of their own.
    api_client.generic("BREW", "/no/such/path/")
    labels = {tuple(sorted(labels.items())) for _, labels, _ in scrape()}
    assert (("method", "other"), ("status", "404"), ("view", "unmatched")) in labels


def test_probes_are_counted_by_name(client, scrape):
    before = value(scrape(), REQUESTS, view="readyz", status="200")
    client.get("/readyz")
    assert value(scrape(), REQUESTS, view="readyz", status="200") == before + 1


def test_database_queries_and_errors_are_counted(api_client, scrape):
    before = scrape()
    api_client.get("/api/orders/")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    after = scrape()
    queries = "patient_orders_db_queries_total"
    errors = "patient_orders_db_query_errors_total"
    assert value(after, queries, operation="select") > value(before, queries, operation="select")
    assert value(after, errors) == value(before, errors) + 1


def test_outbox_depth_by_status_and_kind_and_the_age_of_the_oldest_message(scrape):
    for _ in range(2):
        place()
    samples = scrape()
    depth = "patient_orders_sms_outbox_messages"
    assert value(samples, depth, status="queued", kind="order_received") == 2
    assert value(samples, depth, status="queued", kind="order_ready") == 0
    assert value(samples, depth, status="sending") == 0
    assert value(samples, "patient_orders_sms_outbox_oldest_waiting_age_seconds") >= 0
    assert value(samples, "patient_orders_sms_outbox_oldest_due_age_seconds") >= 0

    run_worker_once()
    after = scrape()
    assert value(after, depth) == 0
    assert value(after, "patient_orders_sms_outbox_oldest_waiting_age_seconds") == 0


def test_sends_are_counted_by_outcome_and_the_gateway_timed(scrape, sms_settings, gateway):
    sends = "patient_orders_sms_sends_total"
    before = scrape()
    sent, refused, flaky = place(), place(), place()
    opted_out = place()
    customer_set_sms_opt_out(
        customer=opted_out.customer, opt_out=True, source=SmsOptOutSource.STAFF
    )
    gateway.statuses[refused.customer.contact_number] = (403, "InvalidPhoneNumber")
    gateway.delays[flaky.customer.contact_number] = 0.7  # over SMS_TIMEOUT: a timeout
    run_one_step()
    gateway.delays.clear()
    wait_for_backoff()
    run_worker_once()
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    kind = "order_received"
    assert moved(sends, outcome="sent", kind=kind) == 2  # `sent`, then `flaky` on its retry
    assert moved(sends, outcome="temporary_failure", kind=kind) == 1
    assert moved(sends, outcome="permanent_failure", kind=kind) == 1
    assert moved(sends, outcome="suppressed", kind=kind) == 1
    assert sent.pk  # (placed above; sent on the first step)
    gateway_calls = "patient_orders_sms_gateway_duration_seconds_count"
    assert moved(gateway_calls, result="success") == 2
    assert moved(gateway_calls, result="temporary") == 1
    assert moved(gateway_calls, result="permanent") == 1


def test_refused_tokens_are_counted_by_reason(anonymous_client, scrape):
    rejected = "patient_orders_token_validation_failures_total"
    before = scrape()
    anonymous_client.get("/api/orders/", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    anonymous_client.get("/api/orders/", HTTP_AUTHORIZATION="Bearer ")
    after = scrape()
    assert value(after, rejected, reason="built_in_invalid") == 1 + value(
        before, rejected, reason="built_in_invalid"
    )
    assert value(after, rejected, reason="empty") == 1 + value(before, rejected, reason="empty")


def test_throttled_requests_are_counted(api_client, scrape, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    throttled = "patient_orders_throttled_requests_total"
    before = value(scrape(), throttled, view="orders:list")
    statuses = [api_client.get("/api/orders/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert value(scrape(), throttled, view="orders:list") == before + 1


def test_idempotent_replays_are_counted(api_client, scrape):
    CustomerFactory(code="C1")
    replays = "patient_orders_idempotent_replays_total"
    before = value(scrape(), replays)
    body = {"customer_code": "C1", "item": "Aspirin", "amount": "10.00", "physician_name": "Dr"}
    for _ in range(3):
        response = api_client.post("/api/orders/", body, HTTP_IDEMPOTENCY_KEY="retry-1")
        assert response.status_code == 201
    assert value(scrape(), replays) == before + 2


def test_no_label_carries_a_phone_number_name_customer_code_or_token(
    api_client, anonymous_client, scrape, sms_settings, gateway
):
    customer = CustomerFactory(
        code="SECRETCODE7", name="Wanjiru Kamau", contact_number="+254711223344"
    )
    api_client.get("/api/customers/SECRETCODE7/")
    api_client.get("/api/customers/SECRETCODE7/?search=Wanjiru")
    api_client.get("/api/orders/?customer=SECRETCODE7")
    order = place(customer)
    api_client.get(f"/api/orders/{order.pk}/")
    anonymous_client.get("/api/orders/", HTTP_AUTHORIZATION="Bearer eyJhbGciOiJSUzI1NiJ9.secret")
    run_worker_once()
    samples = scrape()
    secrets = ["SECRETCODE7", "Wanjiru", "Kamau", "254711223344", "711223344", "eyJhbG"]
    assert_no_label_contains(samples, [*secrets, METRICS_TOKEN])


def test_static_files_and_unknown_addresses_are_labelled_without_their_path(client, scrape):
    client.get("/static/no-such-file-SECRETCODE7.css")
    samples = scrape()
    assert value(samples, REQUESTS, view="static") >= 1
    assert_no_label_contains(samples, ["SECRETCODE7"])


def test_an_address_that_is_not_an_ip_is_never_allowed():
    assert not address_allowed("not-an-address", ["0.0.0.0/0", "::/0"])
    assert address_allowed("10.1.2.3", ["10.0.0.0/8"])


def test_the_metrics_port_answers_with_the_same_rules(metrics_settings):
    server = start_metrics_server(port=0, address="127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        allowed = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        refused = httpx.get(f"{url}/metrics")
        elsewhere = httpx.get(f"{url}/", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    finally:
        server.shutdown()
        server.server_close()
    assert allowed.status_code == 200
    assert "patient_orders_sms_sends" in allowed.text
    assert "patient_orders_sms_outbox_messages" not in allowed.text  # the web pods report it
    assert (refused.status_code, elsewhere.status_code) == (404, 404)
