"""Does a FHIR model library serialise a page of resources as fast as plain dicts?

The facade builds resources as dicts (fhir.resources) and dumps them with json. The candidate
is fhirclient's R4 models, the library the tests validate against: build each resource as a
model object, then `as_json()` and dump. Both turn the same 50 MedicationRequests into the
same JSON text; the script times each over many rounds (`time.process_time`, best of 5) and
prints one JSON line. Run by bench/run.py, or alone: `python bench/fhir_models.py`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from fhirclient.models.medicationrequest import MedicationRequest  # noqa: E402

from fhir.resources import Version, medication_request_resource  # noqa: E402
from orders.selectors import AuditedOrder  # noqa: E402

BASE = "https://orders.example.com/fhir/R4"
ROUNDS = 200


def page() -> list[tuple[AuditedOrder, Version]]:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    rows = []
    for n in range(50):
        at = start + timedelta(minutes=n)
        order: AuditedOrder = {
            "id": n + 1,
            "customer_id": n,
            "customer_code": f"CUST{n:06d}",
            "item": "Paracetamol 500mg",
            "amount": Decimal("50.00"),
            "physician_name": "Dr House",
            "status": "placed",
            "created_at": at,
            "audit_version": n + 7,
            "audit_at": at,
        }
        rows.append((order, Version(str(n + 7), at)))
    return rows


def with_dicts(rows: list[tuple[AuditedOrder, Version]]) -> str:
    return json.dumps([medication_request_resource(o, version=v, base=BASE) for o, v in rows])


def with_models(rows: list[tuple[AuditedOrder, Version]]) -> str:
    # The library's way: a model per resource (checked as it is built), serialised by it.
    models = [
        MedicationRequest(medication_request_resource(o, version=v, base=BASE)) for o, v in rows
    ]
    return json.dumps([model.as_json() for model in models])


def best_ms(function, rows) -> float:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(ROUNDS):
            function(rows)
        timings.append((time.process_time() - started) / ROUNDS * 1000)
    return round(min(timings), 3)


def main() -> None:
    rows = page()
    assert json.loads(with_dicts(rows)) == json.loads(with_models(rows))
    dicts, models = best_ms(with_dicts, rows), best_ms(with_models, rows)
    print(
        json.dumps(
            {
                "page_of_50_ms_plain_dicts": dicts,
                "page_of_50_ms_fhirclient_models": models,
                "models / dicts": round(models / dicts, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
