"""`make bench`: the service measured against two ceilings measured in the same run.

One PostgreSQL database, gunicorn with the repository's config (bench.settings adds the two
baseline views), wrk outside the server process, real bearer tokens from the test OpenID
Provider. Writes bench/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402
from bench.ab import Scenario, Totals, interleaved, ratio  # noqa: E402
from tests.support.gateway import API_KEY, GatewayDouble  # noqa: E402
from tests.support.oidc_provider import AUDIENCE, OidcProvider, rsa_key  # noqa: E402
from tests.support.processes import gunicorn_process, manage, service_env, stop  # noqa: E402

RESULTS = ROOT / "bench" / "results"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Dropped and made anew by every run: name one nobody else uses.
DB_NAME = os.environ.get("BENCH_DATABASE_NAME", "patient_orders_bench")
DB_URL = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def server_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process (tests/support/processes.service_env), with
    the baseline views and the benchmark's database."""
    return service_env(
        DJANGO_SETTINGS_MODULE="bench.settings",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        DATABASE_URL=DB_URL,
        # Measure the service, not the rate limiter's refusals.
        API_THROTTLE_RATE="100000000/second",
        SMS_BACKEND="console",
        **overrides,
    )


def migrate(env: dict[str, str]) -> None:
    result = manage("migrate", "--no-input", env=env)
    if result.returncode:
        raise SystemExit(f"migrate failed:\n{result.stdout}{result.stderr}")


def fresh_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def sql(statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def seed_orders(total: int) -> None:
    """Customers and orders straight in SQL (generate_series): a million rows in seconds."""
    sql(
        """
        INSERT INTO customers_customer
            (code, name, contact_number, email, insurance_number, created_at, updated_at,
             preferred_language, sms_opt_out)
        SELECT 'CUST' || lpad(n::text, 6, '0'), 'Patient ' || n,
               '+25471' || lpad(n::text, 7, '0'), 'p' || n || '@example.com', '', now(), now(),
               'en', false
        FROM generate_series(1, 1000) AS n
        ON CONFLICT DO NOTHING
        """
    )
    existing = sql("SELECT count(*) FROM orders_order")[0][0]
    if existing >= total:
        return
    sql(
        """
        INSERT INTO orders_order
            (customer_id, item, amount, physician_name, status, created_at, updated_at)
        SELECT c.id, 'Paracetamol 500mg', 50.00, 'Dr House', 'placed',
               now() - make_interval(secs => n), now()
        FROM generate_series(%s::int, %s::int) AS n
        JOIN customers_customer c ON c.code = 'CUST' || lpad((1 + n %% 1000)::text, 6, '0')
        """,
        (existing + 1, total),
    )
    # Each order's creation in the audit trail, as place_order leaves it: the FHIR facade reads
    # its versions from there, so its benchmark pays for that lookup as it would in service.
    sql(
        """
        INSERT INTO orders_historicalorder
            (id, item, amount, physician_name, status, created_at, customer_id,
             history_date, history_type)
        SELECT id, item, amount, physician_name, status, created_at, customer_id,
               created_at, '+'
        FROM orders_order WHERE id > (SELECT coalesce(max(id), 0) FROM orders_historicalorder)
        """
    )
    # Measured in a steady state, as a table that grew over months would be: not while the
    # bulk load's pages are still being written out and vacuumed.
    sql("VACUUM ANALYZE")
    sql("CHECKPOINT")


FIRST_NAMES = [
    "Amina",
    "Brian",
    "Chebet",
    "David",
    "Esther",
    "Faith",
    "George",
    "Halima",
    "Ibrahim",
    "Joy",
    "Kevin",
    "Lucy",
    "Moses",
    "Njeri",
    "Otieno",
    "Peter",
    "Rose",
    "Samuel",
    "Tabitha",
    "Wanjiru",
]
LAST_NAMES = [
    "Achieng",
    "Barasa",
    "Cheruiyot",
    "Kamau",
    "Kariuki",
    "Kiptoo",
    "Mwangi",
    "Mutua",
    "Njoroge",
    "Odhiambo",
    "Ochieng",
    "Omondi",
    "Onyango",
    "Wafula",
    "Wambui",
    "Wekesa",
    "Kimani",
    "Maina",
    "Nyambura",
    "Rotich",
]


TRIGRAM_INDEXES = ("customer_code_trgm_idx", "customer_name_trgm_idx", "customer_email_trgm_idx")


def seed_customers(total: int) -> None:
    """More patients, up to `total`, with everyday names (twenty first names by twenty
    family names, so every name part is shared by thousands), codes and numbers of their own;
    the first thousand ("Patient n", CUST000001...) stay as they are."""
    existing = sql("SELECT count(*) FROM customers_customer")[0][0]
    if existing >= total:
        return
    for index in TRIGRAM_INDEXES:
        sql(f"ALTER INDEX {index} SET (fastupdate = on)")
    sql(
        """
        INSERT INTO customers_customer
            (code, name, contact_number, email, insurance_number, created_at, updated_at,
             preferred_language, sms_opt_out)
        SELECT 'PT' || lpad(n::text, 7, '0'),
               (%s::text[])[1 + n %% 20] || ' ' || (%s::text[])[1 + (n / 20) %% 20],
               '+2547' || lpad((20000000 + n)::text, 8, '0'), 'pt' || n || '@example.com',
               '', now(), now(), 'en', false
        FROM generate_series(%s::int, %s::int) AS n
        """,
        (FIRST_NAMES, LAST_NAMES, existing + 1, total),
    )
    # As a bulk import should: the trigram indexes take the rows in their pending list (the
    # migration turns that off for everyday writes), merged by VACUUM, then off again.
    for index in TRIGRAM_INDEXES:
        sql(f"ALTER INDEX {index} SET (fastupdate = off)")
    sql("VACUUM ANALYZE customers_customer")
    sql("CHECKPOINT")


def worker_rss_mb(master_pid: int) -> float:
    """The largest resident set among gunicorn's worker processes."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes)


def latency_ms(url: str, token: str, samples: int) -> float:
    """p50 of sequential requests: what one user waits, free of queueing."""
    timings = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        for _ in range(samples):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def paired_latency_ms(
    urls: list[str], token: str, samples: int, *, cookies: dict[str, str] | None = None
) -> list[float]:
    """p50 of sequential requests to each of `urls`, taken in turns so that a machine busy
    with something else slows each of them alike."""
    timings: list[list[float]] = [[] for _ in urls]
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, cookies=cookies) as client:
        for _ in range(samples):
            for index, url in enumerate(urls):
                started = time.perf_counter()
                client.get(url).raise_for_status()
                timings[index].append((time.perf_counter() - started) * 1000)
    return [round(statistics.median(t), 2) for t in timings]


def deep_cursor(offset: int) -> str:
    """A cursor pointing `offset` orders deep, as the API would hand it out: signed with the
    server's key (config.pagination; an unsigned one is a 404)."""
    from base64 import urlsafe_b64encode
    from urllib.parse import urlencode

    from django.core.signing import Signer

    (created_at,) = sql(
        "SELECT created_at FROM orders_order ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
        (offset,),
    )[0]
    payload = urlsafe_b64encode(urlencode({"p": str(created_at)}).encode()).decode()
    signer = Signer(
        key=server_env()["SECRET_KEY"], salt="config.pagination.cursor", sep=".", fallback_keys=[]
    )
    return signer.sign(payload.rstrip("="))


def json_line(command: list[str], *, env: dict[str, str], prefix: str) -> dict[str, Any]:
    """Run a measuring script and return the JSON it prints on the line starting `prefix`."""
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith(prefix):
            data: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return data
    raise SystemExit(f"{' '.join(command[1:])} failed:\n{result.stdout}{result.stderr}")


@contextmanager
def sms_worker_against_gateway(
    latency: float, env: dict[str, str], log_file: Path
) -> Iterator[None]:
    """One `sms_worker` process delivering to the gateway double, answering after `latency`."""
    gateway = GatewayDouble(latency=latency).start()
    worker_env = {
        **env,
        "SMS_BACKEND": "africastalking",
        "AFRICASTALKING_USERNAME": "bench",
        "AFRICASTALKING_API_KEY": API_KEY,
        "AFRICASTALKING_API_URL": gateway.url,
        "SMS_POLL_SECONDS": "0.2",
    }
    with log_file.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "sms_worker"],
            cwd=ROOT,
            env=worker_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield
        finally:
            stop(worker)
            gateway.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--big", type=int, default=1_000_000, help="orders in the large table")
    parser.add_argument(
        "--big-customers", type=int, default=1_000_000, help="customers in the large table"
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of turns (duration / 5 s)")
    args = parser.parse_args()
    wrk.ensure_wrk()
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.monotonic()

    provider = OidcProvider(work / "jwks.json")
    provider.publish([rsa_key("bench")])
    provider.start()
    try:
        env = server_env(OIDC_ISSUER=provider.issuer, OIDC_AUDIENCE=AUDIENCE)
        log("fresh PostgreSQL database, migrations, 1,000 orders")
        fresh_database()
        migrate(env)
        seed_orders(1_000)
        token = provider.client_credentials_token()
        report = run_all(args, env, token, work)
        log("bearer-token check: CPU per check, network calls after warm-up")
        report["token_check"] = json_line(
            [sys.executable, "bench/token_check.py", token], env=env, prefix="{"
        )
        log("create order taken apart: CPU per request, in-process (bench/create_floor.py)")
        report["create_floor"] = json_line(
            [sys.executable, "bench/create_floor.py", token], env=env, prefix="RESULT "
        )
        log("FHIR resources: plain dicts against fhirclient's R4 models (bench/fhir_models.py)")
        report["fhir_models"] = json_line(
            [sys.executable, "bench/fhir_models.py"], env=env, prefix="{"
        )
    finally:
        provider.stop()
    log("SMS worker throughput at 200 ms gateway latency (bench/sms_worker.py)")
    report["sms_worker"] = json_line(
        [sys.executable, "bench/sms_worker.py"], env=dict(os.environ), prefix="RESULT "
    )
    report["targets"] = targets(report)
    report["elapsed_seconds"] = round(time.monotonic() - started, 1)
    write(report)


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's targets (the ratios taken in turns, customer search at scale), issue 7's
    and issue 12's FHIR page, against this run's numbers."""
    lists = report["list_latency_ms"]
    turns = report["turns"]["ratios"]
    # Every throughput ratio here is taken in turns: the same two scenarios run 10 s one
    # after the other met different neighbours on this shared machine (create / insert read
    # 0.26 and 0.58 in two runs of the same code); the first table keeps those as information.
    rows = [
        (
            "no recycling storm: constant JSON, production config / recycling off (turns)",
            turns["constant JSON: production config / recycling off"],
            ">=",
            0.9,
        ),
        (
            "create order / insert ceiling (turns)",
            turns["create order / insert ceiling"],
            ">=",
            0.5,
        ),
        (
            "list orders / same-data ceiling (turns)",
            turns["list orders / same-data ceiling"],
            ">=",
            0.7,
        ),
        *[
            (f"customer search p50, 1,000,000 / 1,000 customers: {name}", value, "<=", 1.5)
            for name, value in report["customer_search_p50_ms"]["ratios"].items()
        ],
        (
            "list orders / framework ceiling",
            report["ratios"]["list orders / framework ceiling"],
            ">=",
            0.3,
        ),
        (
            "create p50, 300 ms gateway / instant",
            report["gateway_independence"]["ratio 300 ms / instant"],
            "<=",
            1.1,
        ),
        ("list p50, large / 1,000 rows, first page", lists["ratio first page"], "<=", 1.2),
        ("list p50, large / 1,000 rows, deep page", lists["ratio deep page"], "<=", 1.2),
        (
            "FHIR MedicationRequest page (50) / REST order list (50), cost (turns)",
            turns["FHIR MedicationRequest page / REST order list, cost"],
            "<=",
            1.5,
        ),
        (
            "FHIR MedicationRequest page / REST order list, p50 in turns",
            report["fhir_page_p50_ms"]["ratio FHIR / REST"],
            "<=",
            1.5,
        ),
        (
            "desk orders page (50) / REST order list (50), p50",
            report["desk_page_p50_ms"]["ratio desk / REST"],
            "<=",
            1.5,
        ),
        ("bearer-token check, CPU ms", report["token_check"]["cpu_ms_per_check"], "<=", 0.2),
        (
            "token check network calls after warm-up",
            report["token_check"]["key_fetches_after_warm_up"],
            "<=",
            0,
        ),
        ("SMS worker, notifications/s", report["sms_worker"]["notifications_per_second"], ">=", 50),
        ("gunicorn worker RSS, MB", report["gunicorn_worker_rss_mb"], "<=", 120),
    ]
    return [
        {
            "target": name,
            "measured": value,
            "bar": f"{op} {bar}",
            "met": value >= bar if op == ">=" else value <= bar,
        }
        for name, value, op, bar in rows
    ]


def recycling_turns(
    env: dict[str, str], work: Path, *, rounds: int, seconds: int, connections: int
) -> dict[str, dict[str, float]]:
    """The constant-JSON ceiling of three servers alike but for recycling (as configured, off,
    and at the old 2,000), each serving nothing else, measured in turns.

    Every round starts the three afresh, warms them up, measures each in turn and stops them.
    Two identical servers started once and measured in turns for a minute still differed by
    about 10% (how the machine happened to place their workers), and a bar of 0.9 cannot see
    through that; servers started anew each round average it out.

    The production config and recycling off take turns going first; recycling at 2,000 always
    goes last. A worker it recycles near the end of its slice starts its successor (a second
    of CPU) during the next slice. In a rotation of all three, that next slice was always the
    production config's and never recycling off's. Ten runs in a rotation read 0.83 to 1.07,
    nine of them below 1.0, for two configs that behave alike until 100,000 requests. One run
    of 12 rounds each, only the order changed: 0.957 in the rotation, 0.988 with 2,000 last;
    and 1.004 and 1.011 in the rotation with a second production server in place of 2,000.
    `rounds` is rounded up to an even number, so each of the two goes first equally often."""
    production, off, at_2000 = (
        ("constant JSON, production config", env),
        ("constant JSON, recycling off", {**env, "GUNICORN_MAX_REQUESTS": "0"}),
        ("constant JSON, recycling at 2,000", {**env, "GUNICORN_MAX_REQUESTS": "2000"}),
    )
    rounds += rounds % 2
    totals = Totals()
    for turn in range(rounds):
        first, second = (production, off) if turn % 2 == 0 else (off, production)
        with ExitStack() as servers:
            scenarios: list[Scenario] = []
            for name, config in (first, second, at_2000):
                log_file = work / f"gunicorn-recycling-{turn}-{len(scenarios)}.log"
                url = servers.enter_context(gunicorn_process(config, log_file))[0]
                scenarios.append(Scenario(name, f"{url}/bench/constant"))
            for scenario in scenarios:
                wrk.run("warm-up", scenario.url, duration=1, connections=4)
            totals.add_rates(
                interleaved(
                    scenarios, token="", rounds=1, seconds=seconds, connections=connections, log=log
                )
            )
    return totals.rates()


def gateway_turns(
    env: dict[str, str],
    work: Path,
    *,
    url: str,
    order: str,
    token: str,
    rounds: int,
    seconds: int,
    connections: int,
) -> dict[str, float]:
    """p50 of creating orders while one `sms_worker` sends their messages through a gateway
    answering at once, and through one answering after 300 ms: the median of each one's
    p50s over `rounds` turns, the order of the two alternating.

    Each turn starts the worker and its gateway afresh and lets the worker's start-up (a
    second of CPU) pass before measuring. Two runs of 10 s one after the other met different
    neighbours on this shared machine: their ratio went from 0.88 to 1.18 between runs with
    no change to the worker or the API."""
    p50s: dict[str, list[float]] = {"0 ms": [], "300 ms": []}
    for turn in range(rounds):
        latencies = (0.0, 0.3) if turn % 2 == 0 else (0.3, 0.0)
        for latency in latencies:
            name = f"{latency * 1000:.0f} ms"
            with sms_worker_against_gateway(latency, env, work / f"worker-{turn}-{name}.log"):
                time.sleep(2)
                result = wrk.run(
                    f"create order, gateway {name}",
                    url,
                    method="POST",
                    body=order,
                    token=token,
                    duration=seconds,
                    connections=connections,
                )
            p50s[name].append(result.p50_ms)
    return {name: round(statistics.median(values), 2) for name, values in p50s.items()}


def run_all(args: argparse.Namespace, env: dict[str, str], token: str, work: Path) -> dict:
    measure = {"duration": args.duration, "connections": args.connections}
    # Every measurement in turns runs in slices of a fifth of a wrk run.
    slice_seconds = max(1, args.duration // 5)
    order = json.dumps(
        {"customer_code": "CUST000001", "item": "Paracetamol", "amount": 50, "physician_name": "X"}
    )
    results: list[wrk.Result] = []
    with gunicorn_process(env, work / "gunicorn.log") as (base, pid):
        one_order = sql("SELECT max(id) FROM orders_order")[0][0]
        wrk.run("warm-up", f"{base}/api/orders/", duration=2, connections=4, token=token)
        scenarios = [
            ("baseline: constant JSON", "/bench/constant", "GET", ""),
            ("baseline: one insert", "/bench/insert", "POST", ""),
            ("create order", "/api/orders/", "POST", order),
            ("list orders (50)", "/api/orders/?page_size=50", "GET", ""),
            (
                "FHIR search MedicationRequest (50)",
                "/fhir/R4/MedicationRequest?_count=50",
                "GET",
                "",
            ),
            ("get one order", f"/api/orders/{one_order}/", "GET", ""),
            ("list customers, search", "/api/customers/?search=Patient%2012", "GET", ""),
        ]
        for name, path, method, body in scenarios:
            log(name)
            results.append(
                wrk.run(name, base + path, method=method, body=body, token=token, **measure)
            )
        rss = worker_rss_mb(pid)

        log("recycling: servers as configured, with recycling off and at 2,000, started afresh")
        turns = recycling_turns(
            env,
            work,
            rounds=2 * args.rounds,
            seconds=slice_seconds,
            connections=args.connections,
        )
        log("in turns: ceilings, create, list, FHIR page")
        turns |= interleaved(
            [
                Scenario("constant JSON, API server", f"{base}/bench/constant"),
                Scenario("one insert", f"{base}/bench/insert", "POST"),
                Scenario("create order", f"{base}/api/orders/", "POST", order),
                Scenario("place_order alone", f"{base}/bench/place-order", "POST"),
                Scenario("same rows by hand", f"{base}/bench/same-rows-create", "POST", order),
                Scenario("same-data ceiling: 50 orders", f"{base}/bench/orders"),
                Scenario("list orders (50)", f"{base}/api/orders/?page_size=50"),
                Scenario(
                    "FHIR MedicationRequest page (50)",
                    f"{base}/fhir/R4/MedicationRequest?_count=50",
                ),
            ],
            token=token,
            rounds=args.rounds,
            seconds=slice_seconds,
            connections=args.connections,
            log=log,
        )
        turn_ratios = {
            "constant JSON: production config / recycling off": ratio(
                turns, "constant JSON, production config", "constant JSON, recycling off"
            ),
            "constant JSON: recycling at 2,000 / recycling off": ratio(
                turns, "constant JSON, recycling at 2,000", "constant JSON, recycling off"
            ),
            "create order / insert ceiling": ratio(turns, "create order", "one insert"),
            # The most create / insert could read if validation, the lookup, the token and
            # the response cost nothing (bench/views.place).
            "place_order alone / insert ceiling": ratio(turns, "place_order alone", "one insert"),
            # The create's three rows written by hand in one statement, behind DRF's request
            # cycle (bench/same_rows.py): how far a create goes without its serializer, the ORM
            # and simple-history, and what those cost it.
            "same rows by hand / insert ceiling": ratio(turns, "same rows by hand", "one insert"),
            "create order / same rows by hand": ratio(turns, "create order", "same rows by hand"),
            "list orders / same-data ceiling": ratio(
                turns, "list orders (50)", "same-data ceiling: 50 orders"
            ),
            "list orders / framework ceiling": ratio(
                turns, "list orders (50)", "constant JSON, API server"
            ),
            # Cost, not speed: how many times longer a FHIR page of 50 takes than a REST one.
            "FHIR MedicationRequest page / REST order list, cost": ratio(
                turns, "list orders (50)", "FHIR MedicationRequest page (50)"
            ),
        }

        log("create order while a worker sends through an instant and a 300 ms gateway, in turns")
        independence = gateway_turns(
            env,
            work,
            url=base + "/api/orders/",
            order=order,
            token=token,
            rounds=args.rounds,
            seconds=slice_seconds,
            connections=args.connections,
        )

        log("FHIR MedicationRequest page and REST order list, 50 each, in turns")
        rest_p50, fhir_p50 = paired_latency_ms(
            [f"{base}/api/orders/?page_size=50", f"{base}/fhir/R4/MedicationRequest?_count=50"],
            token,
            200,
        )

        log("desk orders page and REST order list, 50 each, in turns")
        session = json_line([sys.executable, "bench/desk_session.py"], env=env, prefix="{")
        rest_desk_p50, desk_p50 = paired_latency_ms(
            [f"{base}/api/orders/?page_size=50", f"{base}/desk/orders/"],
            token,
            200,
            cookies={session["cookie"]: session["key"]},
        )

        log(f"list latency at 1,000 and {args.big:,} orders")
        small = {
            "first page": latency_ms(f"{base}/api/orders/?page_size=50", token, 200),
            "deep page": latency_ms(
                f"{base}/api/orders/?page_size=50&cursor={deep_cursor(500)}", token, 200
            ),
        }
        seed_orders(args.big)
        big = {
            "first page": latency_ms(f"{base}/api/orders/?page_size=50", token, 200),
            "deep page": latency_ms(
                f"{base}/api/orders/?page_size=50&cursor={deep_cursor(args.big // 2)}", token, 200
            ),
        }

        searches = {
            "code prefix": f"{base}/api/customers/?search=CUST00012",
            "part of a name": f"{base}/api/customers/?search=atient%20123",
            "phone number": f"{base}/api/customers/?search=%2B254710000123",
            "first page, no search": f"{base}/api/customers/",
        }
        log("customer search p50 (in turns) at 1,000 customers")
        few = dict(
            zip(searches, paired_latency_ms(list(searches.values()), token, 100), strict=True)
        )
        log(f"{args.big_customers:,} customers")
        seed_customers(args.big_customers)
        many = dict(
            zip(searches, paired_latency_ms(list(searches.values()), token, 100), strict=True)
        )
    by_name = {r.name: r for r in results}
    framework = by_name["baseline: constant JSON"].requests_per_second
    insert = by_name["baseline: one insert"].requests_per_second
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "server": {
            "gunicorn": "config/gunicorn.py",
            "workers": env.get("WEB_CONCURRENCY", str(os.cpu_count())),
            "threads": env.get("GUNICORN_THREADS", "4"),
        },
        "load": measure,
        "results": [r.as_dict() for r in results],
        "ratios": {
            "create order / insert ceiling": round(
                by_name["create order"].requests_per_second / insert, 3
            ),
            "list orders / framework ceiling": round(
                by_name["list orders (50)"].requests_per_second / framework, 3
            ),
            # Cost, not speed: how many times longer a FHIR page of 50 takes than a REST one.
            "FHIR MedicationRequest page / REST order list, cost": round(
                by_name["list orders (50)"].requests_per_second
                / by_name["FHIR search MedicationRequest (50)"].requests_per_second,
                3,
            ),
        },
        "list_latency_ms": {
            "1,000 rows": small,
            f"{args.big:,} rows": big,
            "ratio first page": round(big["first page"] / small["first page"], 3),
            "ratio deep page": round(big["deep page"] / small["deep page"], 3),
        },
        "turns": {
            "rounds": args.rounds,
            "seconds_each": slice_seconds,
            "results": turns,
            "ratios": turn_ratios,
        },
        "customer_search_p50_ms": {
            "1,000 customers": few,
            f"{args.big_customers:,} customers": many,
            "ratios": {name: round(many[name] / few[name], 3) for name in searches},
        },
        "fhir_page_p50_ms": {
            "REST order list (50)": rest_p50,
            "FHIR MedicationRequest (50)": fhir_p50,
            "ratio FHIR / REST": round(fhir_p50 / rest_p50, 3),
        },
        "desk_page_p50_ms": {
            "REST order list (50)": rest_desk_p50,
            "desk orders page (50)": desk_p50,
            "ratio desk / REST": round(desk_p50 / rest_desk_p50, 3),
        },
        "gunicorn_worker_rss_mb": round(rss, 1),
        "gateway_independence": {
            "create order p50 ms": independence,
            "ratio 300 ms / instant": round(independence["300 ms"] / independence["0 ms"], 3),
        },
    }


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb // 1024 // 1024} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write(report: dict) -> None:
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Benchmark, {report['when']}",
        "",
        f"Machine: {report['machine']}.",
        f"Server: gunicorn ({report['server']['workers']} workers x "
        f"{report['server']['threads']} threads), PostgreSQL. Load: wrk, "
        f"{report['load']['connections']} connections, {report['load']['duration']} s each.",
        "",
        "| scenario | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['name']} | {r['requests_per_second']:.0f} | {r['p50_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['errors']} |"
        )
    lines += ["", "| ratio | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in report["ratios"].items()]
    turns = report["turns"]
    lines += [
        "",
        f"In turns ({turns['rounds']} rounds of {turns['seconds_each']} s each, in rotation; "
        "the three recycling servers twice as many rounds, rounded up to a multiple of three, "
        "started afresh every round):",
        "",
        "| scenario | requests/s | errors |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {name} | {r['requests_per_second']:.0f} | {r['errors']:.0f} |"
        for name, r in turns["results"].items()
    ]
    lines += ["", "| ratio, in turns | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in turns["ratios"].items()]
    search = report["customer_search_p50_ms"]
    sizes = [key for key in search if key != "ratios"]
    lines += [
        "",
        "Customer search, p50 of 100 sequential requests in turns, ms:",
        "",
        f"| search | {sizes[0]} | {sizes[1]} | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {search[sizes[0]][name]} | {search[sizes[1]][name]} | {value} |"
        for name, value in search["ratios"].items()
    ]
    lines += ["", "List latency (p50 of 200 sequential requests, ms):", ""]
    for name, value in report["list_latency_ms"].items():
        lines.append(f"- {name}: {value}")
    lines += ["", f"gunicorn worker RSS after the run: {report['gunicorn_worker_rss_mb']} MB"]
    for extra in (
        "token_check",
        "sms_worker",
        "gateway_independence",
        "fhir_page_p50_ms",
        "fhir_models",
        "create_floor",
    ):
        lines += ["", f"{extra}: `{json.dumps(report[extra])}`"]
    lines += ["", "| target | measured | bar | met |", "|---|---:|---|---|"]
    for t in report["targets"]:
        lines.append(
            f"| {t['target']} | {t['measured']} | {t['bar']} | {'yes' if t['met'] else 'NO'} |"
        )
    lines += ["", f"Whole run: {report['elapsed_seconds']} s."]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
