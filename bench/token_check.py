"""The CPU cost of one bearer-token check, and proof that it makes no network call once warm.

Run by bench/run.py with the settings of the server under test (OIDC_ISSUER pointing at the test
OpenID Provider) and a token from it: `python bench/token_check.py TOKEN`. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402

from identity.tokens import validate_access_token  # noqa: E402

CHECKS = 2000


def jwks_requests() -> int:
    stats = httpx.get(f"{settings.OIDC_ISSUER}/__test__/stats", timeout=5).json()
    return int(stats["jwks_requests"])


def main() -> None:
    token = sys.argv[1]
    validate_access_token(token)  # warm-up: discovery and the key set, fetched once
    before = jwks_requests()
    started = time.process_time()
    for _ in range(CHECKS):
        validate_access_token(token)
    cpu_ms = (time.process_time() - started) * 1000 / CHECKS
    after = jwks_requests()
    print(
        json.dumps(
            {
                "cpu_ms_per_check": round(cpu_ms, 4),
                "checks": CHECKS,
                "key_fetches_after_warm_up": after - before,
            }
        )
    )


if __name__ == "__main__":
    main()
