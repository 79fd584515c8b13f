from __future__ import annotations

from django.urls import path

from orders import api

app_name = "orders"

urlpatterns = [
    path("", api.OrderListCreateView.as_view(), name="list"),
    path("add/", api.OrderAddView.as_view(), name="add"),
    path("<int:pk>/", api.OrderDetailView.as_view(), name="detail"),
    path("<int:pk>/history/", api.OrderHistoryView.as_view(), name="history"),
]
