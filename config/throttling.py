from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import UserRateThrottle

from monitoring.labels import view_label
from monitoring.metrics import THROTTLED_REQUESTS

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading.
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class ClientRateThrottle(UserRateThrottle):
    """Per authenticated client (one local user per issuer and subject).

    DRF checks permissions before throttles, so callers without credentials are turned away
    (401/403) before they could use a rate; the public delivery-report endpoint is not
    throttled, so a burst of reports from the gateway is never dropped.

    A throttle guards the service; it must never take it down. If the shared cache (Redis) is
    unreachable, requests go through and the outage is logged.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return True
        try:
            allowed = super().allow_request(request, view)
        except Exception as exc:  # any cache failure at all
            logger.warning("throttle_cache_unavailable", extra={"error": type(exc).__name__})
            return True
        if not allowed:
            THROTTLED_REQUESTS.labels(view_label(request._request)).inc()
        return allowed

    def get_rate(self) -> str | None:
        # Read on use, not at import like DRF's THROTTLE_RATES, so settings changes apply.
        return settings.API_THROTTLE_RATE
