from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Connects the settings-changed receiver and registers the OpenAPI security schemes.
        from identity import keys, schema  # noqa: F401
