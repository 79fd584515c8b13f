from __future__ import annotations

from django.urls import path

from desk import views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patients, name="patients"),
    path("patients/new/", views.patient_new, name="patient-new"),
    path("patients/options/", views.patient_options, name="patient-options"),
    path("patients/<str:code>/", views.patient, name="patient"),
    path("patients/<str:code>/edit/", views.patient_edit, name="patient-edit"),
    path("patients/<str:code>/sms-opt-out/", views.patient_sms_opt_out, name="patient-sms-opt-out"),
    path("orders/", views.orders, name="orders"),
    path("orders/new/", views.order_new, name="order-new"),
    path("orders/<int:pk>/", views.order, name="order"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<int:pk>/status/", views.order_status, name="order-status"),
    path("orders/<int:pk>/sms/", views.order_sms, name="order-sms"),
    path("orders/<int:pk>/sms/resend/", views.order_sms_resend, name="order-sms-resend"),
]
