"""DRF's browsable API links to `rest_framework:login` and `rest_framework:logout`; these
names point it at our OpenID Connect login instead of a password form."""

from __future__ import annotations

from django.urls import path

from identity import views

app_name = "rest_framework"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
]
