from __future__ import annotations

from django.urls import path

from notifications import api

app_name = "notifications"

urlpatterns = [
    path("sms/delivery-reports/", api.DeliveryReportView.as_view(), name="delivery-reports"),
    path("orders/<int:pk>/sms/resend/", api.ResendSmsView.as_view(), name="resend"),
]
