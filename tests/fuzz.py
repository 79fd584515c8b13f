"""`make fuzz`: schemathesis at depth against the service as production runs it.

gunicorn with production settings (`DEBUG` off) on a scratch database: PostgreSQL when
DATABASE_URL names a server (a database `<name>_fuzz` beside it, made afresh), SQLite
otherwise. A real access token with all four scopes from the built-in provider's
client-credentials client. Then schemathesis with every check and every phase (the schema's
examples, its boundaries, random fuzzing, and the stateful phase, which follows the schema's
links: create a customer, then read, change and delete it, place orders on it...) for
FUZZ_SECONDS, repeating the random phases until the time is spent. The seed is random
(FUZZ_SEED to replay one) and no example database is kept, unlike the contract test in the
suite, which is derandomized so that chance never decides CI.

Prints the failures schemathesis found, and how many requests it sent, counted by the
server's request log, by status. Exits with schemathesis's status: non-zero when anything failed.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.processes import gunicorn_process, manage, service_env  # noqa: E402

ALL_SCOPES = "customers:read customers:write orders:read orders:write"


def log(message: str) -> None:
    print(f"[fuzz] {message}", flush=True)


def scratch_database(work: Path) -> str:
    """A fresh, empty database for this run: the fuzzer writes thousands of odd records."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{work / 'fuzz.sqlite3'}"
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_fuzz"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def run_manage(*args: str, env: dict[str, str]) -> str:
    result = manage(*args, env=env)
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def client_secret(output: str) -> tuple[str, str]:
    """The development client and its secret, from ensure_dev_client's one-time printout."""
    found = re.search(r"-u '([^':]+):([^']+)'", output)
    if found is None:
        raise SystemExit(f"ensure_dev_client printed no secret:\n{output}")
    return found[1], found[2]


def seed_records(client: httpx.Client) -> None:
    """A few customers and orders, so generated codes and ids sometimes name real records."""
    for n in range(1, 4):
        code = f"CUST00{n}"
        customer = {
            "code": code,
            "name": f"Patient {n}",
            "contact_number": f"+25471200000{n}",
            "email": f"p{n}@example.com",
        }
        client.post("/api/customers/", json=customer).raise_for_status()
        order = {"customer_code": code, "item": "Paracetamol", "amount": 50, "physician_name": "X"}
        client.post("/api/orders/", json=order).raise_for_status()


def server_statuses(gunicorn_log: Path) -> Counter[int]:
    """The status of every request the server logged (one JSON line per request)."""
    statuses: Counter[int] = Counter()
    for line in gunicorn_log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == "request" and "status" in entry:
            statuses[int(entry["status"])] += 1
    return statuses


def main() -> int:
    seconds = int(os.environ.get("FUZZ_SECONDS", "600"))
    seed = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(2**31))
    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    database_url = scratch_database(work)
    log(f"{seconds} s, seed {seed} (FUZZ_SEED={seed} replays it); database {database_url}")
    log(f"work files (server log, schemathesis crash files for st replay) in {work}")
    env = service_env(
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="INFO",
        # Depth, not the rate limiter's refusals (429 is tested in the suite).
        API_THROTTLE_RATE="100000000/second",
        SMS_BACKEND="console",
    )
    run_manage("migrate", "--no-input", env=env)
    gunicorn_log = work / "gunicorn.log"
    with gunicorn_process(env, gunicorn_log) as (base_url, _):
        client_id, secret = client_secret(
            run_manage("ensure_dev_client", "--base-url", base_url, env=env)
        )
        token = httpx.post(
            f"{base_url}/o/token/",
            data={"grant_type": "client_credentials", "scope": ALL_SCOPES},
            auth=(client_id, secret),
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=base_url, headers=headers) as client:
            seed_records(client)
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            f"--config-file={ROOT / 'schemathesis.toml'}",
            "run",
            f"{base_url}/api/schema/",
            "--checks=all",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--max-time={seconds}",
            "--max-examples=500",
            # One worker: with several threads, hypothesis's lambda descriptions call ast.parse
            # concurrently, which CPython 3.11 can fail with a SystemError.
            "--workers=1",
            f"--seed={seed}",
            "--generation-database=none",
            "--continue-on-failure",
            "--request-timeout=30",
            f"--header=Authorization: {headers['Authorization']}",
            "--no-color",
        ]
        shown = " ".join(command[1:]).replace(headers["Authorization"], "Bearer ***")
        log(f"schemathesis {shown}")
        before = server_statuses(gunicorn_log)
        # In the work folder: schemathesis keeps its crash files (for `st replay`) there.
        status = subprocess.run(command, cwd=work, check=False).returncode
    answered = server_statuses(gunicorn_log) - before
    by_status = ", ".join(f"{code}: {count:,}" for code, count in sorted(answered.items()))
    log(f"schemathesis sent {answered.total():,} requests; the server answered {by_status}")
    server_errors = sum(count for code, count in answered.items() if code >= 500)
    if server_errors:
        log(f"{server_errors} server errors: tracebacks in {gunicorn_log}")
    log("failures: none" if status == 0 else "failures: see schemathesis's report above")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
