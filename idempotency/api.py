"""`Idempotency-Key` support for the create endpoints (IETF httpapi draft, Stripe's API)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from idempotency.services import Replay, claim_key, complete_key, fingerprint, release_key
from monitoring.metrics import IDEMPOTENT_REPLAYS

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Makes a retry safe: the same key from the same client within 24 hours returns the "
        "first response (header `Idempotent-Replayed: true`) instead of creating again."
    ),
)

_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}\Z")


class IdempotentCreateMixin:
    """For a DRF create view: honour `Idempotency-Key` on POST.

    The response is stored in the same transaction as the created row, so a stored answer
    always describes work that was done, and work is never done twice for one key.
    """

    idempotency_operation: str

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        user = request.user
        if key is None or not isinstance(user, User):
            return super().create(request, *args, **kwargs)  # type: ignore[misc]
        if not _VALID_KEY.match(key):
            raise serializers.ValidationError(
                {"Idempotency-Key": ["Use 1 to 255 visible ASCII characters."]}
            )
        outcome = claim_key(
            user=user, key=key, fingerprint=fingerprint(self.idempotency_operation, request.data)
        )
        if isinstance(outcome, Replay):
            IDEMPOTENT_REPLAYS.labels(self.idempotency_operation).inc()
            replayed = {"Idempotent-Replayed": "true"}
            return Response(outcome.body, status=outcome.status, headers=replayed)
        try:
            with transaction.atomic():
                response: Response = super().create(request, *args, **kwargs)  # type: ignore[misc]
                complete_key(claim=outcome, status=response.status_code, body=response.data)
        except BaseException:
            release_key(claim=outcome)
            raise
        return response
