"""Drive a URL with Debian's wrk (a load generator outside the server's process) and read
its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk.lua")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
        return shutil.which("wrk") or "wrk"
    raise SystemExit("wrk is not installed: apt-get install wrk")


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNITS[unit]


def run(
    name: str,
    url: str,
    *,
    duration: int,
    connections: int,
    method: str = "GET",
    body: str = "",
    token: str = "",
    threads: int = 2,
) -> Result:
    completed = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(SCRIPT),
            url,
        ],
        env={**os.environ, "WRK_METHOD": method, "WRK_BODY": body, "WRK_TOKEN": token},
        capture_output=True,
        text=True,
        check=True,
    )
    return parse(name, completed.stdout)


def parse(name: str, report: str) -> Result:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", report, re.MULTILINE)
        if match is None:
            raise ValueError(f"no {percent}% latency in wrk's report:\n{report}")
        return _ms(*match.groups())

    rps = re.search(r"Requests/sec:\s+([\d.]+)", report)
    total = re.search(r"(\d+) requests in", report)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    if rps is None or total is None:
        raise ValueError(f"unreadable wrk report:\n{report}")
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return Result(
        name=name,
        requests_per_second=float(rps.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(total.group(1)),
        errors=errors,
    )
