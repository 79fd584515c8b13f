"""SMS backends, chosen by `SMS_BACKEND` the way Django chooses an email backend.

Each backend has one method, `send(to=..., message=...)`, that returns the provider's message
id on success and raises `TransportError` otherwise. The caller decides about retries from
`TransportError.permanent`; backends never retry on their own.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

ALIASES = {
    "console": "notifications.backends.console.ConsoleBackend",
    "locmem": "notifications.backends.locmem.LocmemBackend",
    "africastalking": "notifications.backends.africastalking.AfricasTalkingBackend",
}


class TransportError(Exception):
    """Sending failed. `permanent` says whether trying the same message again could help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class BaseSmsBackend:
    def send(self, *, to: str, message: str) -> str:
        """Hand one message to the provider; return its message id."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the worker calls this once, on its way out."""


def get_backend(name: str | None = None) -> BaseSmsBackend:
    path = name or settings.SMS_BACKEND
    backend_class = import_string(ALIASES.get(path, path))
    backend: BaseSmsBackend = backend_class()
    return backend
