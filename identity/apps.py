from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Connects the settings-changed receiver, the sign-in audit receivers, and registers
        # the OpenAPI security schemes.
        from identity import keys, lockout, schema  # noqa: F401
