"""The project's own system checks. `manage.py check --deploy` runs those marked deploy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

# Caches that each process keeps to itself, or that keep nothing.
PER_PROCESS_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The API's throttle counts in the default cache. In a per-process cache every gunicorn
    worker of every replica counts alone, so the limit really enforced is the rate times
    workers times replicas, and a recycled worker starts again from zero."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        CheckWarning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is per process: the API "
            "throttle counts in each worker and replica separately.",
            hint="Set CACHE_URL or REDIS_URL to a shared cache, e.g. redis://redis:6379/0.",
            id="config.W001",
        )
    ]
