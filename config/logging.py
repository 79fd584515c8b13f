"""Structured logs: events with fields, tagged with the request they belong to.

Log with an event name and fields: `logger.info("order_placed", extra={"order_id": 7})`.
Never put a phone number, a name or a token in a field.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

# The id of the request being served on this thread or task, for every line it logs.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came in through `extra`.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id"}
)


# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the invisible format
# characters (bidirectional overrides, zero-width ones): what a client could use to end a log
# line early, forge another one, repaint a terminal (ANSI escapes) or reverse what it shows.
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)


def escape_controls(text: str) -> str:
    """`text` on one line with its control characters written as escapes (`\\n`, `\\x1b`)."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: _plain(v) for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _plain(value: Any) -> Any:
    # Django's request loggers attach the request itself, whose repr carries the query string
    # (where the delivery-report token rides): keep method and path only.
    if isinstance(value, HttpRequest):
        return f"{value.method} {value.path}"
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, request_id, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """`time LEVEL logger event key=value ...`, for a person reading a terminal.

    Every value is written with its control characters escaped, so a request path or a
    header cannot break a line in two or send escape sequences to the terminal; the lines of
    a traceback are indented, so none of them can pass for a log line of its own.
    """

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created, tz=UTC).strftime("%H:%M:%S")
        fields = _fields(record)
        request_id = getattr(record, "request_id", None)
        if request_id:
            fields = {"request_id": request_id, **fields}
        pairs = " ".join(f"{k}={escape_controls(str(v))}" for k, v in fields.items())
        event = escape_controls(record.getMessage())
        line = f"{time} {record.levelname:<7} {record.name} {event} {pairs}".rstrip()
        if record.exc_info:
            traceback = self.formatException(record.exc_info)
            indented = (f"    {escape_controls(part)}" for part in traceback.splitlines())
            line = "\n".join([line, *indented])
        return line
