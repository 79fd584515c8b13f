from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider import urls as oauth2_urls

from identity.views import built_in_provider_only

# /healthz and /readyz are answered by config.middleware.HealthCheckMiddleware.
urlpatterns = [
    # People (not API clients) arriving at the bare address want the front desk.
    path("", RedirectView.as_view(url="/desk/", permanent=False), name="root"),
    path("desk/", include("desk.urls")),
    # Staff log in to the admin through the same OpenID Connect login as everyone else.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="identity:login", query_string=True),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    path("auth/", include("identity.urls")),
    path("api/customers/", include("customers.urls")),
    path("api/orders/", include("orders.urls")),
    path("api/", include("notifications.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The read-only FHIR R4 facade (fhir app); not part of the OpenAPI schema.
    path("fhir/R4/", include("fhir.urls")),
    # The split view serves its script as a file, so the page works under a strict CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    # The browsable API's "Log in" and "Log out" lead to the OpenID Connect login.
    path("api-auth/", include("identity.drf_urls")),
]

# The built-in OpenID Provider (only while OIDC_ISSUER is empty). Its users prove who they
# are with a password at /o/login/. Only the protocol endpoints: not DOT's application-management
# pages or dynamic client registration, which would let any logged-in user register clients.
urlpatterns += [
    path(
        "o/",
        include(
            (
                built_in_provider_only(
                    [
                        path(
                            "login/",
                            LoginView.as_view(template_name="identity/provider_login.html"),
                            name="login",
                        ),
                        *oauth2_urls.base_urlpatterns,
                        *oauth2_urls.oidc_urlpatterns,
                    ]
                ),
                "oauth2_provider",
            )
        ),
    ),
]

handler400 = "config.exceptions.bad_request"
handler403 = "config.exceptions.permission_denied"
handler404 = "config.exceptions.not_found"
handler500 = "config.exceptions.server_error"
