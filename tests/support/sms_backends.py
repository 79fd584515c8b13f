"""SMS backends that only tests select (by dotted path in SMS_BACKEND)."""

from __future__ import annotations

from notifications.backends import BaseSmsBackend


class BrokenBackend(BaseSmsBackend):
    """A backend with a bug: raises something other than TransportError."""

    def send(self, *, to: str, message: str) -> str:
        raise RuntimeError("bug in a backend")
