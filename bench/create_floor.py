"""How close can placing an order come to the insert ceiling? Issue 14's target 2, taken apart.

A create over HTTP does the work the rules keep (the order, its audit-trail row and its outbox
row in one transaction, with the customer held) plus what any API request does (middleware,
the bearer token, validation, the response). This script measures, in this one process and
in turns, the CPU time of each request and of its database backend (PostgreSQL's own process,
read from /proc: the two share the machine's cores under load):

- `create order`: `POST /api/orders/` through Django's handler, all middleware, a real token;
- `insert ceiling`: `POST /bench/insert`, the same handler and middleware, no token;
- `place_order alone`: the service, called directly: only the kept work, nothing of HTTP;
- `one ORM insert alone`: `BaselineRow.objects.create`, what the insert ceiling does inside.

`best create / insert ceiling` is the ratio a create would reach if validation, the customer
lookup, the token, the permission check and the response cost nothing: the insert ceiling's
total against its HTTP part plus `place_order` alone. Under load the server's own work per
request (parsing, sockets) is added to both sides, which raises every ratio somewhat.

Run by bench/run.py with the server's settings and a token: `python bench/create_floor.py
TOKEN`. Prints one JSON line, after `RESULT `.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.models import BaselineRow  # noqa: E402
from customers.models import Customer  # noqa: E402
from orders.services import place_order  # noqa: E402

ROUNDS = 10
CALLS = 40
ORDER = {"customer_code": "CUST000001", "item": "Paracetamol", "amount": 50, "physician_name": "X"}


def backend_cpu_seconds() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend, if it runs here."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {sys.argv[1]}", HTTP_HOST="127.0.0.1")
    customer = Customer.objects.get(code=ORDER["customer_code"])

    def create() -> None:
        response = client.post("/api/orders/", ORDER, content_type="application/json")
        assert response.status_code == 201, response.content

    def insert() -> None:
        # As wrk sends it: a POST with no body.
        assert client.generic("POST", "/bench/insert").status_code == 201

    def service() -> None:
        place_order(customer=customer, item="Paracetamol", amount=Decimal(50), physician_name="X")

    scenarios: dict[str, Callable[[], object]] = {
        "create order": create,
        "insert ceiling": insert,
        "place_order alone": service,
        "one ORM insert alone": lambda: BaselineRow.objects.create(payload="x"),
    }
    for run in scenarios.values():
        for _ in range(CALLS):
            run()  # warm-up: imports, caches, the database connection
    # PostgreSQL's backend is timed only when it runs on this machine (as in `make bench`).
    local_database = backend_cpu_seconds() is not None
    app: dict[str, list[float]] = {name: [] for name in scenarios}
    database = dict.fromkeys(scenarios, 0.0)
    for _ in range(ROUNDS):
        for name, run in scenarios.items():
            before = backend_cpu_seconds() or 0.0
            for _ in range(CALLS):
                started = time.process_time()
                run()
                app[name].append(time.process_time() - started)
            database[name] += (backend_cpu_seconds() or 0.0) - before
    costs: dict[str, dict[str, float | None]] = {}
    total: dict[str, float] = {}
    for name in scenarios:
        app_ms = statistics.median(app[name]) * 1000
        db_ms = database[name] * 1000 / (ROUNDS * CALLS)
        total[name] = app_ms + db_ms
        costs[name] = {
            "app_cpu_ms": round(app_ms, 3),
            "db_cpu_ms": round(db_ms, 3) if local_database else None,
            "total_ms": round(total[name], 3),
        }
    # What the insert ceiling spends around its one insert: the HTTP part every request pays.
    http = total["insert ceiling"] - total["one ORM insert alone"]
    # Marked: the requests above log JSON lines of their own.
    print(
        "RESULT "
        + json.dumps(
            {
                **costs,
                "database timed": local_database,
                "create / insert ceiling, in-process": round(
                    total["insert ceiling"] / total["create order"], 3
                ),
                "best create / insert ceiling, in-process": round(
                    total["insert ceiling"] / (http + total["place_order alone"]), 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
