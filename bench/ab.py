"""Throughput compared in interleaved turns, and `python bench/ab.py REV...`: what each
change bought, every revision served at once from the same database.

On a busy machine (two cores shared with other work) two wrk runs of ten seconds each, one
after the other, meet different neighbours: their ratio wandered by a factor of two from run
to run. Short turns taken in rotation (A, B, C, then B, C, A, ...) meet the same neighbours,
so the ratio of their totals is steady even when the totals are not.

`make bench` (bench/run.py) uses `interleaved` for its ratios. On its own, this script checks
out each git revision named (`git archive`, into a temporary directory), serves each with its
own gunicorn config from one fresh PostgreSQL database (BENCH_DATABASE_NAME, migrated by the
newest code), and measures create order, list orders and the constant-JSON ceiling of every
revision in turns: `python bench/ab.py main perf~3 perf~1 perf` prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402


@dataclass(frozen=True)
class Scenario:
    name: str
    url: str
    method: str = "GET"
    body: str = ""


def interleaved(
    scenarios: list[Scenario],
    *,
    token: str,
    rounds: int,
    seconds: int,
    connections: int,
    log: Any = print,
) -> dict[str, dict[str, float]]:
    """Each scenario for `seconds` at a time, all of them in turn, `rounds` times (starting
    one later each round); requests per second over all its turns, with the errors."""
    totals = Totals()
    for turn in range(rounds):
        shift = turn % len(scenarios)
        for scenario in scenarios[shift:] + scenarios[:shift]:
            result = wrk.run(
                scenario.name,
                scenario.url,
                method=scenario.method,
                body=scenario.body,
                token=token,
                duration=seconds,
                connections=connections,
            )
            totals.add(
                scenario.name,
                requests=result.requests,
                seconds=result.requests / result.requests_per_second,
                errors=result.errors,
            )
        log(f"round {turn + 1}/{rounds} done")
    return totals.rates()


class Totals(dict[str, dict[str, float]]):
    """Requests, seconds and errors per scenario, summed over turns."""

    def add(self, name: str, *, requests: float, seconds: float, errors: float) -> None:
        total = self.setdefault(name, {"requests": 0.0, "seconds": 0.0, "errors": 0.0})
        total["requests"] += requests
        total["seconds"] += seconds
        total["errors"] += errors

    def add_rates(self, rates: dict[str, dict[str, float]]) -> None:
        """Add what `rates()` (or `interleaved`) returned for other turns."""
        for name, r in rates.items():
            seconds = r["requests"] / r["requests_per_second"]
            self.add(name, requests=r["requests"], seconds=seconds, errors=r["errors"])

    def rates(self) -> dict[str, dict[str, float]]:
        """Requests per second over all its turns, per scenario, with the totals."""
        return {
            name: {
                "requests_per_second": round(t["requests"] / t["seconds"], 1),
                "requests": t["requests"],
                "errors": t["errors"],
            }
            for name, t in self.items()
        }


def ratio(results: dict[str, dict[str, float]], name: str, ceiling: str) -> float:
    return round(results[name]["requests_per_second"] / results[ceiling]["requests_per_second"], 3)


@contextmanager
def snapshot(revision: str) -> Iterator[Path]:
    """The tree of a git revision, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-rev-") as tmp:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


def main() -> None:
    from bench import run
    from tests.support.oidc_provider import AUDIENCE, OidcProvider, rsa_key
    from tests.support.processes import gunicorn_process

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    provider = OidcProvider(work / "jwks.json")
    provider.publish([rsa_key("bench")])
    provider.start()
    try:
        env = run.server_env(OIDC_ISSUER=provider.issuer, OIDC_AUDIENCE=AUDIENCE)
        run.fresh_database()
        run.migrate(env)
        run.seed_orders(1_000)
        token = provider.client_credentials_token()
        order = json.dumps(
            {
                "customer_code": "CUST000001",
                "item": "Paracetamol",
                "amount": 50,
                "physician_name": "X",
            }
        )
        scenarios: list[Scenario] = []
        with ExitStack() as stack:
            for revision in args.revisions:
                tree = stack.enter_context(snapshot(revision))
                base, _ = stack.enter_context(
                    gunicorn_process(env, work / f"{revision}.log".replace("/", "_"), cwd=tree)
                )
                wrk.run("warm-up", f"{base}/api/orders/", duration=1, connections=4, token=token)
                scenarios += [
                    Scenario(f"{revision}: create order", f"{base}/api/orders/", "POST", order),
                    Scenario(f"{revision}: list orders (50)", f"{base}/api/orders/?page_size=50"),
                    Scenario(f"{revision}: constant JSON", f"{base}/bench/constant"),
                ]
            results = interleaved(
                scenarios,
                token=token,
                rounds=args.rounds,
                seconds=args.seconds,
                connections=args.connections,
            )
    finally:
        provider.stop()
    first = args.revisions[0]
    lines = [
        f"| revision | create order/s | x {first} | list 50/s | x {first} | constant/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for revision in args.revisions:
        create = results[f"{revision}: create order"]["requests_per_second"]
        listed = results[f"{revision}: list orders (50)"]["requests_per_second"]
        constant = results[f"{revision}: constant JSON"]["requests_per_second"]
        lines.append(
            f"| {revision} | {create:.0f} | "
            f"{ratio(results, f'{revision}: create order', f'{first}: create order'):.2f} | "
            f"{listed:.0f} | "
            f"{ratio(results, f'{revision}: list orders (50)', f'{first}: list orders (50)'):.2f}"
            f" | {constant:.0f} |"
        )
    print("\n".join(lines))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
