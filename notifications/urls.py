from __future__ import annotations

from django.urls import path

from notifications import api

app_name = "notifications"

urlpatterns = [
    path("sms/delivery-reports/", api.DeliveryReportView.as_view(), name="delivery-reports"),
    path("sms/inbound/", api.InboundSmsView.as_view(), name="inbound"),
    path("sms/opt-outs/", api.GatewayOptOutView.as_view(), name="opt-outs"),
    path("orders/<int:pk>/sms/resend/", api.ResendSmsView.as_view(), name="resend"),
]
