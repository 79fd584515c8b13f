"""How close can placing an order come to the insert ceiling? Issue 14's target 2, taken apart.

A create over HTTP does the work the rules keep (the order, its audit-trail row and its outbox
row in one transaction, with the customer held) plus what any API request does (middleware,
the bearer token, validation, the response). This script measures, in this one process and
in turns, the CPU time of each request and of its database backend (PostgreSQL's own process,
read from /proc: the two share the machine's cores under load):

- `create order`: `POST /api/orders/` through Django's handler, all middleware, a real token;
- `insert ceiling`: `POST /bench/insert`, the same handler and middleware, no token;
- `place_order alone`: the service, called directly (`bench.views.place_kept_work`): only
  the kept work, nothing of HTTP;
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.models import BaselineRow  # noqa: E402
from bench.views import place_kept_work  # noqa: E402

ROUNDS = 10
CALLS = 40
ORDER = {"customer_code": "CUST000001", "item": "Paracetamol", "amount": 50, "physician_name": "X"}


def backend_stat() -> Path | None:
    """The /proc file of this connection's PostgreSQL backend, if it runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")
    return stat if stat.exists() else None


def cpu_seconds(stat: Path | None) -> float:
    """CPU time the backend has used so far (0 when it is not on this machine)."""
    if stat is None:
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {sys.argv[1]}", HTTP_HOST="127.0.0.1")

    def create() -> None:
        response = client.post("/api/orders/", ORDER, content_type="application/json")
        assert response.status_code == 201, response.content

    def insert() -> None:
        # As wrk sends it: a POST with no body.
        assert client.generic("POST", "/bench/insert").status_code == 201

    scenarios: dict[str, Callable[[], object]] = {
        "create order": create,
        "insert ceiling": insert,
        "place_order alone": place_kept_work,
        "one ORM insert alone": lambda: BaselineRow.objects.create(payload="x"),
    }
    for run in scenarios.values():
        for _ in range(CALLS):
            run()  # warm-up: imports, caches, the database connection
    # PostgreSQL's backend is timed only when it runs on this machine (as in `make bench`).
    # The test client keeps one connection, so one backend, for the whole run.
    stat = backend_stat()
    app: dict[str, list[float]] = {name: [] for name in scenarios}
    database = dict.fromkeys(scenarios, 0.0)
    for _ in range(ROUNDS):
        for name, run in scenarios.items():
            before = cpu_seconds(stat)
            for _ in range(CALLS):
                started = time.process_time()
                run()
                app[name].append(time.process_time() - started)
            database[name] += cpu_seconds(stat) - before
    costs: dict[str, dict[str, float | None]] = {}
    total: dict[str, float] = {}
    for name in scenarios:
        app_ms = statistics.median(app[name]) * 1000
        db_ms = database[name] * 1000 / (ROUNDS * CALLS)
        total[name] = app_ms + db_ms
        costs[name] = {
            "app_cpu_ms": round(app_ms, 3),
            "db_cpu_ms": round(db_ms, 3) if stat is not None else None,
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
                "database timed": stat is not None,
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
