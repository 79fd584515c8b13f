"""Prints each message instead of sending it: the development default, so `make run` shows
what a customer would receive."""

from __future__ import annotations

import sys
import threading
import unicodedata
import uuid
from typing import TextIO

from customers.phone import mask_phone_number
from notifications.backends import BaseSmsBackend


def printable(text: str) -> str:
    """`text` with control and format characters escaped (`\\x1b`, `\\u202e`), so that a name
    cannot move the cursor, clear the screen or reverse the text of a terminal; line breaks
    stay."""
    return "".join(
        ch
        if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        # The worker sends from several threads; keep each message's lines together.
        self._lock = threading.Lock()

    def send(self, *, to: str, message: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        with self._lock:
            # The number is masked even here: terminal output ends up in logs too.
            self.stream.write(
                f"SMS to {mask_phone_number(to)} ({message_id}):\n{printable(message)}\n\n"
            )
            self.stream.flush()
        return message_id
