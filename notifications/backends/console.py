"""Prints each message instead of sending it: the development default, so `make run` shows
what a customer would receive."""

from __future__ import annotations

import sys
import threading
import uuid
from typing import TextIO

from config.logging import escape_controls
from customers.phone import mask_phone_number
from notifications.backends import BaseSmsBackend


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        # The worker sends from several threads; keep each message's lines together.
        self._lock = threading.Lock()

    def send(self, *, to: str, message: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        with self._lock:
            # The number is masked even here: terminal output ends up in logs too. The text
            # carries a patient's name as typed: escape what could forge lines or repaint
            # the terminal.
            text = "\n".join(escape_controls(line) for line in message.split("\n"))
            self.stream.write(f"SMS to {mask_phone_number(to)} ({message_id}):\n{text}\n\n")
            self.stream.flush()
        return message_id
