from __future__ import annotations

from typing import ClassVar

from django.db import models


class BaselineRow(models.Model):
    """What the insert ceiling writes: one row, no validation, no relations."""

    payload = models.CharField(max_length=64)
    # Declared because the type checker runs with the test settings, where bench is no app.
    objects: ClassVar[models.Manager[BaselineRow]] = models.Manager()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.payload
