"""Sign-in lockout at the built-in provider's password page (django-axes): who the client is,
what a locked-out person sees, and the audit events.

django-axes counts failed sign-ins in the database, by account and by client address, and
refuses every sign-in for an account or address with `LOGIN_FAILURE_LIMIT` failures within
`LOGIN_LOCKOUT_MINUTES`. Staff unlock an account with `manage.py axes_reset_username NAME`
(docs/identity.md).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one the nearest of our `NUM_PROXIES` proxies saw, counted
    from the right of X-Forwarded-For (entries further left are whatever the client wrote),
    or the connecting address when no proxy stands in front."""
    if settings.NUM_PROXIES:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.NUM_PROXIES:
            candidate = forwarded[-settings.NUM_PROXIES]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429 Too Many Requests: the refusal is temporary and lifts by itself after the cool-off,
    which `Retry-After` states. The page names neither the account nor whether it exists."""
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    response = render(request, "identity/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def username_hash(username: str) -> str:
    """A stable pseudonym for a typed username, keyed with SECRET_KEY, so log lines about one
    account can be matched without writing the name (often a person's) into the logs."""
    return salted_hmac("identity.lockout.username", username).hexdigest()[:16]


def _audit_fields(username: Any, ip_address: str | None) -> dict[str, Any]:
    name = username if isinstance(username, str) else ""
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: name}).first()
    return {
        "username_hash": username_hash(name),
        "user_id": user.pk if user is not None else None,
        "client_ip": ip_address,
    }


@receiver(user_login_failed)
def _log_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    ip_address = client_ip(request) if request is not None else None
    logger.info("login_failed", extra=_audit_fields(credentials.get("username"), ip_address))


@receiver(user_locked_out)
def _log_lockout(
    sender: Any, request: HttpRequest, username: Any, ip_address: str | None, **kwargs: Any
) -> None:
    logger.warning(
        "login_locked_out",
        extra={
            **_audit_fields(username, ip_address),
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
        },
    )
