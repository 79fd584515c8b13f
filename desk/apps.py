from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The front desk: server-rendered pages for clinic and pharmacy staff, on the same
    services and selectors as the API."""

    name = "desk"
    verbose_name = "Front desk"
