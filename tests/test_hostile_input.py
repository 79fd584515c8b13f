"""A table of hostile values thrown at every parameter and body field of every operation.

The operations, their parameters and their body fields are read from the OpenAPI schema the
API serves, so a new endpoint is covered the day it is documented. For each value in each
place the answer must be: no 5xx; JSON; an error body of the documented shape; and, unless
the request succeeded, nothing written. A NUL or a lone surrogate is always a 400.

Each value is sent in a savepoint that is rolled back afterwards, so every value meets the
same records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import jsonschema
import pytest
from django.apps import apps
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator

from config.schema import ERROR_SCHEMA
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

CALLBACK_SECRET = "hostile-input-callback-secret"

HOSTILE: dict[str, str] = {
    "nul": "CU\x00ST",
    "nul alone": "\x00",
    "lone high surrogate": "\ud800",
    "lone low surrogate": "ab\udfff",
    "newline": "a\nb",
    "carriage return and line feed": "a\r\n12:00:00 INFO forged",
    "tab": "a\tb",
    "ansi escape": "\x1b[31mred\x1b[0m",
    "delete": "a\x7fb",
    "c1 control": "a\x85b",
    "superscript two": "²",
    "circled one": "①",
    "arabic-indic digits": "١٢",
    "full-width digits": "１２",
    "kelvin sign": "\u212aIT1",
    "full-width letters": "ＣＵＳＴ001",
    "right-to-left override": "\u202eabc",
    "very long": "x" * 10_000,
    "very long digits": "9" * 5_000,
}
NUL = {"nul", "nul alone"}
# Only JSON can carry a lone surrogate (as an escape); in a URL or a form it is invalid UTF-8,
# which Django decodes to U+FFFD.
LONE_SURROGATE = {"lone high surrogate", "lone low surrogate"}

# A valid value for every body field and parameter the schema names; a new field without an
# entry here fails the test that checks coverage, so it cannot go untested.
VALID: dict[str, Any] = {
    "code": "NEW001",
    "name": "Wanjiru Kamau",
    "contact_number": "+254712345678",
    "email": "wanjiru@example.com",
    "insurance_number": "SHA-123",
    "preferred_language": "sw",
    "kind": "order_received",
    "customer_code": "CUST001",
    "item": "Amoxicillin 500mg",
    "amount": "50.00",
    "physician_name": "Dr Otieno",
    "status": "cancelled",
    "page": "1",
    "page_size": "10",
    "search": "CUST",
    "cursor": None,  # only a cursor we issued is valid: none is sent by default
    "created_after": "2020-01-01T00:00:00Z",
    "created_before": "2100-01-01T00:00:00Z",
    "Idempotency-Key": "hostile-key-1",
    "token": CALLBACK_SECRET,
    # Africa's Talking's delivery report form.
    "id": "ATXid_unknown",
    "phoneNumber": "+254712345678",
    "networkCode": "63902",
    "failureReason": "",
    "retryCount": "0",
    # Its incoming-message form (a patient's reply) and its opt-out form.
    "from": "+254712345678",
    "to": "12345",
    "text": "STOP",
    "date": "2026-11-27 10:00:00",
    "linkId": "link-1",
    "cost": "KES 0.80",
    "senderId": "CLINIC",
}
# Fields whose valid value depends on the operation.
VALID_FOR = {("/api/sms/delivery-reports/", "status"): "Success"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    header_params: tuple[str, ...]
    body_fields: tuple[str, ...]
    body_type: str | None  # "json", "form" or None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _operations() -> list[Operation]:
    schema = json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str))
    components = schema["components"]["schemas"]
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            params = operation.get("parameters", [])
            content = operation.get("requestBody", {}).get("content", {})
            body_type, fields = None, ()
            for media_type, kind in (
                ("application/json", "json"),
                ("application/x-www-form-urlencoded", "form"),
            ):
                if media_type in content:
                    ref = content[media_type]["schema"]["$ref"].rpartition("/")[2]
                    body_type, fields = kind, tuple(components[ref].get("properties", {}))
                    break
            found.append(
                Operation(
                    method=method,
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    header_params=tuple(p["name"] for p in params if p["in"] == "header"),
                    body_fields=fields,
                    body_type=body_type,
                )
            )
    return found


OPERATIONS = _operations()


def _slots() -> Iterator[Any]:
    for operation in OPERATIONS:
        places = (
            [("path", name) for name in operation.path_params]
            + [("query", name) for name in operation.query_params]
            + [("header", name) for name in operation.header_params]
            + [("body", name) for name in operation.body_fields]
            + [("body key", "")] * (operation.body_type is not None)
        )
        for where, name in places:
            yield pytest.param(operation, where, name, id=f"{operation}-{where}-{name}")


def _valid(operation: Operation, name: str) -> Any:
    return VALID_FOR.get((operation.path, name), VALID[name])


@pytest.fixture
def records(settings):
    settings.AFRICASTALKING_CALLBACK_SECRET = CALLBACK_SECRET
    customer = CustomerFactory(code="CUST001")
    order = OrderFactory(customer=customer)
    return {"code": "CUST001", "id": str(order.pk)}


def _snapshot() -> dict[str, Any]:
    """Every table's row count and latest change: what 'nothing written' means."""
    state: dict[str, Any] = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "contenttypes", "oauth2_provider"}:
            continue
        rows = model._default_manager.all()
        latest = None
        if any(f.name == "updated_at" for f in model._meta.fields):
            latest = rows.order_by("-updated_at").values_list("updated_at", flat=True).first()
        state[model._meta.label] = (rows.count(), latest)
    return state


def _send(
    api_client, operation: Operation, records: dict[str, str], where: str, name: str, value: str
):
    path = operation.path
    for param in operation.path_params:
        raw = value if (where, name) == ("path", param) else records[param]
        path = path.replace("{" + param + "}", quote(raw.encode("utf-8", "surrogatepass"), safe=""))
    query = {p: _valid(operation, p) for p in operation.query_params if _valid(operation, p)}
    if where == "query":
        query[name] = value
    if query:
        encoded = urlencode(
            {k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}, safe=""
        )
        path = f"{path}?{encoded}"
    headers = {}
    for header in operation.header_params:
        raw = value if (where, name) == ("header", header) else _valid(operation, header)
        if (where, name) == ("header", header):
            # A WSGI header is Latin-1: what cannot be said in it cannot be sent.
            try:
                raw.encode("latin-1")
            except UnicodeEncodeError:
                return None
        headers["HTTP_" + header.upper().replace("-", "_")] = raw
    kwargs: dict[str, Any] = {}
    if operation.body_type is not None:
        body = {f: _valid(operation, f) for f in operation.body_fields}
        if where == "body":
            body[name] = value
        elif where == "body key":
            body[value] = "x"
        if operation.body_type == "json":
            # ensure_ascii: a lone surrogate travels as the escape "\ud800", as clients send it.
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        else:
            kwargs = {
                "data": urlencode(
                    {
                        k.encode("utf-8", "surrogatepass"): v.encode("utf-8", "surrogatepass")
                        for k, v in body.items()
                    }
                ),
                "content_type": "application/x-www-form-urlencoded",
            }
    return api_client.generic(operation.method.upper(), path, **kwargs, **headers)


def _problems(response, before: dict[str, Any], must_be_400: bool) -> list[str]:
    status = response.status_code
    found = []
    if status >= 500:
        found.append(f"{status}")
    if must_be_400 and status != 400:
        found.append(f"{status}, not 400")
    if status in (204, 308) or (status < 400 and not response.content):
        return found
    if not response["Content-Type"].startswith("application/json"):
        found.append(f"{status} with {response['Content-Type']}")
        return found
    body = json.loads(response.content or b"null")
    if status >= 400:
        try:
            jsonschema.validate(body, ERROR_SCHEMA)
        except jsonschema.ValidationError as exc:
            found.append(f"{status} body not of the documented shape: {exc.message[:80]}")
        if _snapshot() != before:
            found.append(f"{status} but something was written")
    return found


@pytest.mark.parametrize(("operation", "where", "name"), list(_slots()))
def test_hostile_values_everywhere(api_client, records, operation, where, name):
    failures = []
    before = _snapshot()  # the same before every value: each one's writes are rolled back
    for value_name, value in HOSTILE.items():
        with transaction.atomic():
            response = _send(api_client, operation, records, where, name, value)
            in_json = where.startswith("body") and operation.body_type == "json"
            must_be_400 = value_name in NUL or (value_name in LONE_SURROGATE and in_json)
            if response is not None:
                failures += [
                    f"{value_name}: {problem}"
                    for problem in _problems(response, before, must_be_400)
                ]
            transaction.set_rollback(True)
    assert not failures, f"{operation} {where} {name!r}: {failures}"


def test_every_field_the_schema_names_has_a_valid_example():
    names = {
        name
        for operation in OPERATIONS
        for name in (
            *operation.query_params,
            *operation.header_params,
            *operation.body_fields,
        )
    }
    assert names <= set(VALID), f"add valid examples for {sorted(names - set(VALID))}"


def test_the_table_covers_every_kind_of_operation():
    # A guard against the schema reading going quietly wrong: then nothing would be tested.
    methods = {operation.method for operation in OPERATIONS}
    assert methods >= {"get", "post", "put", "patch", "delete"}
    assert any(operation.body_type == "json" for operation in OPERATIONS)
    assert any(operation.body_type == "form" for operation in OPERATIONS)
    assert any(operation.path_params for operation in OPERATIONS)
