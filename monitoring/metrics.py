"""Every metric this service exports, in one place (docs/monitoring.md lists them).

prometheus-client keeps the values. Under gunicorn each worker process writes its own into
`PROMETHEUS_MULTIPROC_DIR` (config/gunicorn.py sets it), and a scrape adds them up; the SMS
worker is one process and serves its own (`sms_worker --metrics-port`).

Labels take their values from our code only (view names, status codes, outcomes, kinds,
reasons), never from a request's content: no label can carry a phone number, a name, a
customer code or a token, and no caller can make the number of series grow.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PREFIX = "patient_orders"

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by view name (never the path), method and status.",
    ["view", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by view name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DB_QUERIES = Counter(
    f"{PREFIX}_db_queries",
    "Database queries run, by the statement's first keyword (select, insert, ...).",
    ["operation"],
)
DB_QUERY_ERRORS = Counter(
    f"{PREFIX}_db_query_errors",
    "Database queries that raised, by the error's class (IntegrityError, OperationalError...).",
    ["error"],
)
SMS_SENDS = Counter(
    f"{PREFIX}_sms_sends",
    "SMS outcomes recorded by the worker: sent, temporary_failure (a retry is planned), "
    "permanent_failure (given up), suppressed (the patient opted out); by message kind.",
    ["outcome", "kind"],
)
SMS_GATEWAY_DURATION = Histogram(
    f"{PREFIX}_sms_gateway_duration_seconds",
    "Time of one call to the SMS gateway, by result (success, temporary, permanent).",
    ["result"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TOKEN_REJECTIONS = Counter(
    f"{PREFIX}_token_validation_failures",
    "Bearer tokens refused, by reason (expired, unknown_key, inactive_user, ...).",
    ["reason"],
)
THROTTLED_REQUESTS = Counter(
    f"{PREFIX}_throttled_requests",
    "API requests refused with 429 by the per-client rate, by view name.",
    ["view"],
)
IDEMPOTENT_REPLAYS = Counter(
    f"{PREFIX}_idempotent_replays",
    "Create requests answered from a stored response (a retry with the same "
    "Idempotency-Key), by operation.",
    ["operation"],
)

# The SMS outcomes, as the `outcome` label spells them.
SENT = "sent"
TEMPORARY_FAILURE = "temporary_failure"
PERMANENT_FAILURE = "permanent_failure"
SUPPRESSED = "suppressed"
