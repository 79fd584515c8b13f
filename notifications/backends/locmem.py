"""Keeps messages in memory, in `outbox`, for tests (like `django.core.mail.outbox`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from notifications.backends import BaseSmsBackend


@dataclass(frozen=True)
class SentSms:
    to: str
    message: str
    message_id: str


outbox: list[SentSms] = []
_lock = threading.Lock()


class LocmemBackend(BaseSmsBackend):
    def send(self, *, to: str, message: str) -> str:
        with _lock:
            message_id = f"locmem-{len(outbox) + 1}"
            outbox.append(SentSms(to=to, message=message, message_id=message_id))
        return message_id
