"""Keep the delivery-report secret out of access logs."""

from __future__ import annotations

import logging
import re

_SECRET_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"']*")


class RedactTokenFilter(logging.Filter):
    """Replace the value of any `token=` query parameter in a log line with `[redacted]`.

    Installed on Django's `django.server` (runserver's access log) and `django.request`
    loggers, whose lines carry request lines and URLs. (gunicorn's access log is its own
    logger: see docs/sms.md.)
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message:
            record.msg = _SECRET_IN_QUERY.sub(r"\1[redacted]", message)
            record.args = None
        return True
