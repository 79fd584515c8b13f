from __future__ import annotations

from django.urls import path, re_path

from fhir import views

app_name = "fhir"

_READS = {
    "Patient": views.PatientReadView,
    "MedicationRequest": views.MedicationRequestReadView,
    "MedicationDispense": views.MedicationDispenseReadView,
}

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path(
        ".well-known/smart-configuration",
        views.SmartConfigurationView.as_view(),
        name="smart-configuration",
    ),
]
for _type in ("Patient", "MedicationRequest", "MedicationDispense", "Communication"):
    _search = views.SearchView.as_view(fhir_type=_type)
    urlpatterns += [
        path(_type, _search, name=f"{_type}-search"),
        path(
            f"{_type}/_search",
            views.SearchView.as_view(fhir_type=_type, http_method_names=["post", "options"]),
        ),
    ]
for _type, _view in _READS.items():
    urlpatterns += [
        path(f"{_type}/<str:resource_id>", _view.as_view(), name=f"{_type}-read"),
        path(
            f"{_type}/<str:resource_id>/_history/<str:vid>", _view.as_view(), name=f"{_type}-vread"
        ),
    ]
urlpatterns += [
    path(
        "Communication/<str:resource_id>",
        views.CommunicationReadView.as_view(),
        name="Communication-read",
    ),
    # Anything else: a 404 OperationOutcome rather than the site's HTML page.
    re_path(r"^.*\Z", views.UnknownView.as_view()),
]
