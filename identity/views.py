"""HTTP glue for browser login and logout."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.urls import URLPattern, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from identity.authentication import remember_session_grant
from identity.login import (
    LoginFailed,
    PendingLogin,
    authorization_url,
    finish_login,
    start_login,
)

logger = logging.getLogger(__name__)

PENDING_LOGIN_KEY = "identity_pending_login"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/api/orders/"


@require_GET
def login(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider (the "Log in" link of the browsable API and admin)."""
    pending = start_login(next_url=_safe_next(request, request.GET.get("next")))
    try:
        url = authorization_url(
            pending=pending,
            redirect_uri=request.build_absolute_uri(reverse("identity:callback")),
            built_in_endpoint=request.build_absolute_uri(reverse("oauth2_provider:authorize"))
            if not settings.OIDC_ISSUER
            else "",
        )
    except LoginFailed as exc:
        logger.warning("login_failed step=start reason=%s", exc)
        return HttpResponse("Login is unavailable right now; try again shortly.", status=503)
    request.session[PENDING_LOGIN_KEY] = pending.as_dict()
    return HttpResponseRedirect(url)


@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code (or an error)."""
    stored = request.session.pop(PENDING_LOGIN_KEY, None)
    if not stored:
        return HttpResponseBadRequest("No login in progress. Start again from the Log in link.")
    pending = PendingLogin(**stored)
    if "error" in request.GET:
        logger.info("login_failed step=provider")
        return HttpResponse("The identity provider did not log you in.", status=403)
    try:
        user, grant = finish_login(
            pending=pending,
            code=request.GET.get("code", ""),
            state=request.GET.get("state", ""),
            redirect_uri=request.build_absolute_uri(reverse("identity:callback")),
        )
    except LoginFailed as exc:
        logger.warning("login_failed step=callback reason=%s", exc)
        return HttpResponse("Login failed. Start again from the Log in link.", status=403)
    if not user.is_active:
        return HttpResponse("This account is disabled.", status=403)
    # A new session id at login, so a session fixed before login is worth nothing.
    django_login(request, user, backend="identity.backends.RecentModelBackend")
    remember_session_grant(request, grant)
    logger.info("login_succeeded user_id=%s scopes=%d", user.pk, len(grant.scopes))
    return HttpResponseRedirect(pending.next_url)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """End the session here: its data, and with it the scopes granted at login, are gone."""
    django_logout(request)
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))


def built_in_provider_only(patterns: list[Any]) -> list[URLPattern]:
    """The built-in provider's URL patterns, answering 404 while `OIDC_ISSUER` names an
    external provider: checked per request, so switching needs no change to the URLconf (and
    its password login cannot become a way around the external provider)."""

    def gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if settings.OIDC_ISSUER:
                raise Http404
            return view(request, *args, **kwargs)

        return gated

    return [
        URLPattern(pattern.pattern, gate(pattern.callback), pattern.default_args, pattern.name)
        for pattern in patterns
    ]
