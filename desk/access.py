"""Who may see and do what at the front desk: the scopes of the session's grant, the same
scopes the API checks (identity.scopes), enforced here on every request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from identity.authentication import session_grant
from identity.scopes import (
    CUSTOMERS_READ,
    CUSTOMERS_WRITE,
    ORDERS_READ,
    ORDERS_WRITE,
    required_scope,
)


@dataclass(frozen=True)
class DeskAccess:
    """What the signed-in user's grant allows, for templates to show only what works."""

    scopes: frozenset[str]

    @property
    def read_patients(self) -> bool:
        return CUSTOMERS_READ in self.scopes

    @property
    def write_patients(self) -> bool:
        return CUSTOMERS_WRITE in self.scopes

    @property
    def read_orders(self) -> bool:
        return ORDERS_READ in self.scopes

    @property
    def write_orders(self) -> bool:
        return ORDERS_WRITE in self.scopes


def desk_access(request: HttpRequest) -> DeskAccess:
    return DeskAccess(session_grant(request.session).scopes)


def login_redirect(request: HttpRequest) -> HttpResponse:
    """To the browser login (identity app), which records the grant's scopes in the session
    and comes back here. Not LOGIN_URL: with the built-in provider that is its password page,
    which signs a user in without a grant.

    An htmx request (a badge refreshing after the session ended) gets a 401 that tells htmx
    to send the whole page to the login, rather than a redirect whose sign-in page htmx would
    put where the badge was."""
    if request.headers.get("HX-Request") == "true":
        query = urlencode({"next": reverse("desk:home")})
        response = HttpResponse(status=401)
        response["HX-Redirect"] = f"{reverse('identity:login')}?{query}"
        return response
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('identity:login')}?{query}")


def forbidden(request: HttpRequest, scope: str) -> HttpResponse:
    return render(request, "desk/forbidden.html", {"scope": scope}, status=403)


ViewFunc = Callable[..., HttpResponse]


def requires(resource: str, *, method: str | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """A signed-in user, and the scope for `resource` that the request's method needs (reads
    `<resource>:read`, anything else `<resource>:write`, as the API); `method` forces one, for
    a page that only shows a form. Anonymous browsers go to the login, others get 403."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return login_redirect(request)
            scope = required_scope(resource=resource, method=method or request.method or "GET")
            if scope not in desk_access(request).scopes:
                return forbidden(request, scope)
            return view(request, *args, **kwargs)

        return guarded

    return decorator
