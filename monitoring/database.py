"""Counting database queries and their errors, for every connection of every process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from monitoring.metrics import DB_QUERIES, DB_QUERY_ERRORS

# The statements' first keywords we name; anything else counts as `other`, so a label never
# holds more than a keyword (and never a value).
_OPERATIONS = frozenset(
    {"select", "insert", "update", "delete", "savepoint", "release", "rollback", "with"}
)


def operation_of(sql: object) -> str:
    words = sql.lstrip(" \t\r\n(").split(None, 1) if isinstance(sql, str) else []
    keyword = words[0].lower() if words else ""
    return keyword if keyword in _OPERATIONS else "other"


def count_query(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """A `connection.execute_wrapper`: one count per statement, one more if it raised."""
    DB_QUERIES.labels(operation_of(sql)).inc()
    try:
        return execute(sql, params, many, context)
    except Exception as exc:
        DB_QUERY_ERRORS.labels(type(exc).__name__).inc()
        raise


def count_queries_of(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On `connection_created`: wrap the connection's queries, once (Django keeps the list of
    wrappers when it reconnects)."""
    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)
