"""The backup drill (docs/backup.md), on PostgreSQL: data made through the API and the SMS
worker, `pg_dump`, the database dropped, `pg_restore` into a new one; then the API serves the
same records, with the same token, and the outbox resumes where it stopped: every message that
was waiting is sent once, none that had gone out is sent again.

It runs on its own database (the session's name + `_drill`), made from the migrated test
database and dropped at the end, with the service and the worker as separate processes, as in
production.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.db import connection

from identity.dev_clients import DEV_API_CLIENT_ID, ensure_dev_clients
from tests.notifications.conftest import start_worker_process
from tests.support.gateway import GatewayDouble
from tests.support.processes import ALL_SCOPES, gunicorn, service_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _url(database: str) -> str:
    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    host = s["HOST"] or "127.0.0.1"
    return f"postgres://{quote(s['USER'], safe='')}{password}@{host}:{s['PORT'] or 5432}/{database}"


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


def _admin(sql: str) -> None:
    """A statement on the server's `postgres` database (CREATE/DROP DATABASE)."""
    _run("psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", _url("postgres"), "-c", sql)


@contextmanager
def _drill_database(work: Path) -> Iterator[str]:
    """A copy of the migrated test database (with this test's API client), dropped afterwards.

    Copied with pg_dump and pg_restore, not CREATE DATABASE ... TEMPLATE, which needs the
    source to itself: the session's live server thread keeps a connection to it."""
    source = connection.settings_dict["NAME"]
    name = f"{source.removeprefix('test_')}_drill"
    copy = work / "migrated.dump"
    _run("pg_dump", "--format=custom", f"--file={copy}", _url(source))
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    _run(
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        f"--dbname={_url(name)}",
        str(copy),
    )
    try:
        yield name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _snapshot(client: httpx.Client) -> dict[str, Any]:
    """What the API shows: every patient, every order with its SMS, every order's history."""
    customers = client.get("/api/customers/", params={"page_size": 200}).json()
    orders = client.get("/api/orders/", params={"page_size": 200}).json()
    assert customers["next"] is None
    assert orders["next"] is None
    histories = {
        order["id"]: client.get(f"/api/orders/{order['id']}/history/").json()
        for order in orders["results"]
    }
    return {"customers": customers["results"], "orders": orders["results"], "history": histories}


@pytest.fixture
def gateway() -> Iterator[GatewayDouble]:
    double = GatewayDouble().start()
    yield double
    double.stop()


def _order(customer_code: str) -> dict[str, str]:
    return {
        "customer_code": customer_code,
        "item": "Amoxicillin 500mg",
        "amount": "120.00",
        "physician_name": "Dr A",
    }


def _run_worker(gateway: GatewayDouble, database: str) -> None:
    worker = start_worker_process(gateway, "--once", DATABASE_URL=_url(database))
    assert worker.wait(timeout=60) == 0, worker.output()
    worker.output()


def test_a_restored_backup_serves_the_same_records_and_resumes_the_outbox(
    settings, gateway, tmp_path: Path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    # The server checks the client's secret with its own hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    secret = ensure_dev_clients(callback_url="https://testserver/auth/callback/").api_client_secret
    backup = tmp_path / "patient-orders.dump"

    with _drill_database(tmp_path) as database:
        env = service_env(
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="off",
            DATABASE_URL=_url(database),
            LOG_LEVEL="WARNING",
            WEB_CONCURRENCY="1",
        )
        # Before: patients and orders; the first SMS sent, later ones still queued.
        with gunicorn(env) as base_url:
            token = httpx.post(
                f"{base_url}/o/token/",
                data={"grant_type": "client_credentials", "scope": ALL_SCOPES},
                auth=(DEV_API_CLIENT_ID, secret or ""),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
                for i in range(5):
                    number = f"+25470000100{i}"
                    patient = {
                        "code": f"P{i}",
                        "name": f"Patient {i}",
                        "contact_number": number,
                        "email": f"p{i}@example.com",
                    }
                    assert client.post("/api/customers/", json=patient).status_code == 201
                    assert client.post("/api/orders/", json=_order(f"P{i}")).status_code == 201
                _run_worker(gateway, database)
                orders = client.get("/api/orders/", params={"page_size": 200}).json()["results"]
                ids = sorted(order["id"] for order in orders)
                # Two orders are ready (a second SMS each, queued); two more are placed.
                for pk in ids[:2]:
                    ready = client.patch(f"/api/orders/{pk}/", json={"status": "fulfilled"})
                    assert ready.status_code == 200
                for i in range(2):
                    assert client.post("/api/orders/", json=_order(f"P{i}")).status_code == 201
                before = _snapshot(client)
        sent_before = list(gateway.accepted)
        assert len(sent_before) == 5

        # The backup, the loss, the restore: the commands of docs/backup.md.
        _run("pg_dump", "--format=custom", f"--file={backup}", _url(database))
        _admin(f'DROP DATABASE "{database}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{database}"')
        _run(
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={_url(database)}",
            str(backup),
        )

        # After: the same records, the same token still valid (it is in the database).
        with (
            gunicorn(env) as base_url,
            httpx.Client(base_url=base_url, headers=headers, timeout=30) as client,
        ):
            assert _snapshot(client) == before
            _run_worker(gateway, database)
            after = _snapshot(client)

    # Every message waiting at the backup went out once, and nothing else: none of those
    # already sent went again.
    waiting = _notifications(before, "queued")
    assert len(waiting) == 4  # two "ready" SMS, two "received" SMS of the new orders
    assert Counter(_order_of(m.message) for m in gateway.accepted[5:]) == Counter(
        pk for pk, _ in waiting
    )
    assert len(gateway.accepted) == 5 + 4
    assert _notifications(after, "queued") == []
    assert len(_notifications(after, "sent")) == 9


def _notifications(snapshot: dict[str, Any], status: str) -> list[tuple[int, str]]:
    """(order id, kind) of every SMS in `status`."""
    return sorted(
        (order["id"], sms["kind"])
        for order in snapshot["orders"]
        for sms in order["notifications"]
        if sms["status"] == status
    )


def _order_of(message: str) -> int:
    """Every text names its order: "... your order #12 ..."."""
    match = re.search(r"#(\d+)", message)
    assert match, message
    return int(match.group(1))
