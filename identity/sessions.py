"""Signed-in browsers' sessions: Django's database sessions, read with SQL compiled once.

Every desk page reads its session, and Django compiles that query's SQL and makes a model
instance on every read: most of the read's CPU (0.75 ms on the benchmark machine, against
0.09 ms for the query itself), as issue 14 found in the customer lookup. The SQL here is the
ORM's own, compiled once per process; everything else (writes, expiry, signing out, the
session's signature) is Django's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from config.queries import compiled_sql

# Stands for the time of each read while the query is compiled.
_NOW = datetime(2000, 1, 1, tzinfo=UTC)


@cache
def _session_data_sql() -> str:
    # Two filters, so their parameters come in this order (one filter sorts its arguments).
    live = Session.objects.filter(session_key="key").filter(expire_date__gt=_NOW)
    # The time as the database takes it, as `load` passes it.
    now = connection.ops.adapt_datetimefield_value(_NOW)
    return compiled_sql(live.values_list("session_data"), params=("key", now))


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_session_data_sql(), [self.session_key, now])
            found = cursor.fetchone()
        if found is None:
            # As Django's: a key that names no live session is forgotten, and a new one made.
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(found[0])
        return data
