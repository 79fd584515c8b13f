from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from config.exceptions import Conflict, DomainError
from idempotency.models import IdempotencyKey


class KeyReusedWithAnotherRequest(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request."
        )


class KeyInFlight(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any


def fingerprint(operation: str, data: Any) -> str:
    canonical = json.dumps([operation, data], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_key(*, user: User, key: str, fingerprint: str) -> IdempotencyKey | Replay:
    """Claim `key` for a new request, or say what became of the request that claimed it first.

    Returns the claimed row, or a `Replay` of the stored response. Raises `KeyInFlight` while
    the first request is still running and `KeyReusedWithAnotherRequest` for another body.
    """
    now = timezone.now()
    expired_before = now - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    abandoned_before = now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    with transaction.atomic():
        # A key past its lifetime is forgotten; one whose request died without an answer
        # (the process was killed) may be taken over.
        IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
        IdempotencyKey.objects.filter(
            user=user, key=key, completed_at__isnull=True, created_at__lt=abandoned_before
        ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, fingerprint=fingerprint, created_at=now
            )
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.filter(user=user, key=key).first()
    if existing is None:
        # Released between our insert and this read: the first request failed; go again.
        return claim_key(user=user, key=key, fingerprint=fingerprint)
    if existing.fingerprint != fingerprint:
        raise KeyReusedWithAnotherRequest()
    if existing.completed_at is None or existing.response_status is None:
        raise KeyInFlight()
    return Replay(status=existing.response_status, body=existing.response_body)


def complete_key(*, claim: IdempotencyKey, status: int, body: Any) -> None:
    """Store the response; call inside the transaction that did the work."""
    claim.response_status = status
    claim.response_body = body
    claim.completed_at = timezone.now()
    claim.save(update_fields=["response_status", "response_body", "completed_at"])


def release_key(*, claim: IdempotencyKey) -> None:
    """The request failed without doing its work: let a retry with the same key run."""
    IdempotencyKey.objects.filter(pk=claim.pk, completed_at__isnull=True).delete()


def purge_expired_keys() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
