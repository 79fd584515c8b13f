from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # The project-wide system checks (config is not an app, so this one registers them);
        # the settings-changed receiver, the sign-in audit receivers, and the OpenAPI
        # security schemes.
        from config import checks  # noqa: F401
        from identity import keys, lockout, schema  # noqa: F401
