"""The API against its own OpenAPI schema: schemathesis generates valid and invalid requests for
every operation and runs all of its checks (no server errors, documented status codes, bodies
and content types that match the schema, invalid input rejected, valid input accepted).

Requests go through the WSGI application with a real access token from the built-in provider.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from config.wsgi import application
from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from tests.factories import CustomerFactory, OrderFactory

ALL_SCOPES = "customers:read customers:write orders:read orders:write"


def _load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves, generated in-process (no request is needed to read it),
    and the WSGI application to call."""
    document = json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture
def _wsgi_calls(settings, token, existing_records, _keep_test_connection) -> None:
    # After `token` and `existing_records`: Django's test client, which they use, reconnects
    # the handler `_keep_test_connection` suspends when its own request ends.
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]  # localhost: what schemathesis sends


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """Calling the WSGI application fires request_started/finished, whose handler closes the
    database connection, and with it the test's transaction; Django's own test client
    suspends that handler in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, client) -> str:
    secret = ensure_dev_clients(callback_url="http://testserver/auth/callback/").api_client_secret
    credentials = base64.b64encode(f"{DEV_API_CLIENT_ID}:{secret}".encode()).decode()
    response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": ALL_SCOPES},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    return str(response.json()["access_token"])


@pytest.fixture
def existing_records(db) -> None:
    # Something for generated ids and codes to find now and then.
    for code in ("CUST001", "A", "0"):
        customer = CustomerFactory(code=code)
        OrderFactory(customer=customer)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    # The same examples on every run, and none remembered from an earlier one: a defect found
    # by chance must not turn CI red or green at random. `make fuzz` explores at random, at depth.
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
@pytest.mark.usefixtures("_wsgi_calls")
def test_every_operation_honours_the_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


def test_property_based_tests_draw_the_same_examples_on_every_run():
    from hypothesis import settings as current

    assert current.default.derandomize is True
    assert current.default.database is None
