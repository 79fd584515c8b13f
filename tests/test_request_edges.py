"""What every request meets before a view: characters no view may see, bodies without a
length, missing slashes, error bodies in the API's shape, security headers, safe log lines.

These are the middleware's and error handlers' guarantees, so they are tested on many
endpoints at once; tests/test_hostile_input.py throws a whole table at every operation.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client
from django.urls import path

from config.logging import ConsoleFormatter
from config.urls import handler500 as site_handler500
from config.urls import urlpatterns as site_urlpatterns
from customers.models import Customer
from orders.models import Order, OrderStatus
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

NUL_OR_SURROGATE = "NUL character or an unpaired surrogate"


@pytest.fixture
def customer():
    return CustomerFactory(code="CUST001")


# --- NUL bytes and lone surrogates: 400 wherever they are --------------------------------


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_a_nul_in_the_path_is_400_on_every_method(api_client, customer, method):
    response = getattr(api_client, method)("/api/customers/CU%00ST/", {}, format="json")
    assert response.status_code == 400
    assert NUL_OR_SURROGATE in response.json()["detail"]
    assert "the path" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/api/customers/?search=a%00b", "search"),
        ("/api/orders/?customer_code=%00", "customer_code"),
        ("/api/orders/?status=placed&x%00=1", "x"),
    ],
)
def test_a_nul_in_the_query_string_is_400(api_client, url, where):
    response = api_client.get(url)
    assert response.status_code == 400
    assert where in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        '{"customer_code": "CU\\u0000ST", "item": "x", "amount": "1", "physician_name": "y"}',
        '{"customer_code": "\\ud800", "item": "x", "amount": "1", "physician_name": "y"}',
        '{"customer_code": "CUST001", "item": "x\\udfff", "amount": "1", "physician_name": "y"}',
        '{"customer_code": "CUST001", "item": ["x", {"deep": "\\u0000"}], "amount": "1"}',
        '{"customer_\\u0000code": "CUST001"}',
    ],
)
def test_a_nul_or_lone_surrogate_in_a_json_body_is_400(api_client, customer, body):
    response = api_client.post("/api/orders/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert NUL_OR_SURROGATE in response.json()["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("value", ["\\ud800", "\\udc00", "cancelled\\ud83d"])
def test_a_lone_surrogate_in_a_status_is_400_not_500(api_client, value):
    order = OrderFactory()
    response = api_client.patch(
        f"/api/orders/{order.pk}/",
        data='{"status": "' + value + '"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_well_formed_surrogate_pair_is_an_ordinary_character(api_client, customer):
    # "\ud83d\udc8a" is one character (a pill emoji), not a lone surrogate.
    response = api_client.patch(
        "/api/customers/CUST001/",
        data='{"name": "Pill \\ud83d\\udc8a"}',
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Customer.objects.get(code="CUST001").name == "Pill \U0001f48a"


@pytest.mark.parametrize("method", ["post", "patch", "put"])
def test_a_nul_in_a_form_body_is_400_on_every_method(api_client, customer, method):
    response = getattr(api_client, method)(
        "/api/customers/CUST001/" if method != "post" else "/api/customers/",
        data="name=A%00B&code=C2",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "'name'" in response.json()["detail"]


def test_a_nul_in_a_multipart_body_is_400(api_client):
    response = api_client.post(
        "/api/customers/", {"name": "A\x00B", "code": "C2"}, format="multipart"
    )
    assert response.status_code == 400
    assert NUL_OR_SURROGATE in response.json()["detail"]


def test_a_nul_in_a_header_is_400(api_client):
    response = api_client.get("/api/customers/", HTTP_X_REQUEST_ID="a\x00b")
    assert response.status_code == 400
    assert "X-Request-Id header" in response.json()["detail"]


def test_a_nul_on_a_page_outside_the_api_is_400_too(client):
    assert client.get("/o/login/?next=%00").status_code == 400
    assert client.post("/o/login/", {"username": "a\x00", "password": "x"}).status_code == 400


# --- Bodies without a length ---------------------------------------------------------------


def test_a_chunked_body_is_411_and_changes_nothing(api_client):
    order = OrderFactory()
    response = api_client.patch(
        f"/api/orders/{order.pk}/",
        {"status": "cancelled"},
        format="json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_a_content_length_that_is_not_a_number_is_400(api_client):
    response = api_client.generic(
        "POST", "/api/orders/", b"{}", content_type="application/json", CONTENT_LENGTH="²"
    )
    assert response.status_code == 400


# --- Missing trailing slashes ----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_a_post_without_the_trailing_slash_is_a_308_not_a_301(api_client, settings, debug):
    # Clients re-send a 301 as a GET: the order would silently not be placed.
    settings.DEBUG = debug
    response = api_client.post("/api/orders?x=1", {"item": "x"}, format="json")
    assert response.status_code == 308
    assert response["Location"] == "/api/orders/?x=1"
    assert not Order.objects.exists()


def test_a_get_without_the_trailing_slash_keeps_its_method_too(api_client):
    response = api_client.get("/api/customers")
    assert response.status_code == 308
    assert response["Location"] == "/api/customers/"


# --- Error bodies under /api/ are JSON ------------------------------------------------------


def test_too_many_form_fields_is_a_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    body = "&".join(f"f{i}=1" for i in range(1001))
    for method in ("post", "patch"):
        response = getattr(api_client, method)(
            "/api/customers/CUST001/" if method == "patch" else "/api/customers/",
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "The request has too many form fields."}


def test_a_disallowed_host_is_a_json_400_under_the_api(client, settings):
    settings.ALLOWED_HOSTS = ["clinic.example.com"]
    response = client.get("/api/customers/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Bad request."}


def _crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/crash/", _crash), *site_urlpatterns]
handler500 = site_handler500


def test_a_server_error_under_the_api_is_json_without_details(settings):
    # A view made to crash (no view of ours is known to): the handler is what is tested.
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/api/crash/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
@pytest.mark.parametrize("authorization", ["Bearer stale-or-invalid", "Bearer ", "Basic eDp5"])
def test_public_pages_ignore_credentials(client, url, authorization):
    assert client.get(url, HTTP_AUTHORIZATION=authorization).status_code == 200


# --- Security headers on every response -----------------------------------------------------


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/healthz"},
        {"path": "/readyz"},
        {"path": "/api/customers/", "HTTP_TRANSFER_ENCODING": "chunked"},
        {"path": "/api/customers/%00/"},
        {"path": "/api/customers/", "CONTENT_LENGTH": "99999999"},
        {"path": "/api/nowhere/"},
    ],
)
def test_every_response_carries_the_security_headers(client, request_kwargs):
    response = client.get(**request_kwargs)
    for name, value in SECURITY_HEADERS.items():
        assert response[name] == value
    assert response["Cache-Control"] == "no-store"


def test_responses_with_patient_data_are_never_cached(api_client, customer):
    for url in ("/api/customers/", "/api/customers/CUST001/", "/api/orders/"):
        assert api_client.get(url)["Cache-Control"] == "no-store"


def test_static_files_keep_their_own_caching(client):
    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
    assert response.status_code == 200
    assert response["Cache-Control"] != "no-store"


# --- Log lines cannot be forged -------------------------------------------------------------


def _console_line(record: logging.LogRecord) -> str:
    return ConsoleFormatter().format(record)


def test_console_log_lines_escape_control_characters_from_the_path(api_client, caplog):
    caplog.set_level(logging.INFO)
    api_client.get("/api/customers/x%0D%0A12:00:00 INFO forged%1B[31mred%7F/")
    (record,) = [r for r in caplog.records if r.name == "requests"]
    line = _console_line(record)
    assert "\n" not in line
    assert "\r" not in line
    assert "\x1b" not in line
    assert "\x7f" not in line
    assert "\\r\\n12:00:00 INFO forged\\x1b[31mred\\x7f" in line


def test_console_log_lines_indent_tracebacks(caplog):
    try:
        raise ValueError("first line\n12:00:00 INFO forged")
    except ValueError:
        logging.getLogger("tests").exception("boom")
    line = _console_line(caplog.records[-1])
    first, *rest = line.split("\n")
    assert "boom" in first
    assert rest
    assert all(part.startswith("    ") for part in rest)


def test_json_log_lines_are_one_line_whatever_the_path(api_client, caplog):
    from config.logging import JsonFormatter

    caplog.set_level(logging.INFO)
    api_client.get("/api/customers/x%0A%1B[2J/")
    (record,) = [r for r in caplog.records if r.name == "requests"]
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "\x1b" not in line
    assert json.loads(line)["path"] == "/api/customers/x\n\x1b[2J/"


def test_the_console_sms_backend_prints_control_characters_escaped():
    from notifications.backends.console import ConsoleBackend

    stream = io.StringIO()
    ConsoleBackend(stream=stream).send(to="+254712345678", message="Hi A\x1b[2J\r\nB\x00")
    printed = stream.getvalue()
    assert "\x1b" not in printed
    assert "\x00" not in printed
    # Line breaks of the text stay (a template may have them); nothing else raw.
    assert "Hi A\\x1b[2J\\r\nB\\x00" in printed
