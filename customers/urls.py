from __future__ import annotations

from django.urls import path

from customers import api

app_name = "customers"

urlpatterns = [
    path("", api.CustomerListCreateView.as_view(), name="list"),
    path("add/", api.CustomerAddView.as_view(), name="add"),
    path("<str:code>/", api.CustomerDetailView.as_view(), name="detail"),
    path("<str:code>/sms-opt-out/", api.CustomerSmsOptOutView.as_view(), name="sms-opt-out"),
]
