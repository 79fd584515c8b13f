from __future__ import annotations

from django.urls import path

from bench import views
from config.urls import urlpatterns as api_urlpatterns

urlpatterns = [
    path("bench/constant", views.constant),
    path("bench/insert", views.insert),
    path("bench/place-order", views.place),
    path("bench/orders", views.orders),
    path("bench/same-rows-create", views.SameRowsCreate.as_view()),
    *api_urlpatterns,
]
