"""The CapabilityStatement: what this server does, built from the same tables the search runs
on (fhir.search), so it cannot claim a parameter that is not implemented."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from fhir.resources import FHIR_VERSION
from fhir.search import INCLUDES, PARAMETERS

# When this statement last changed (CapabilityStatement.date).
STATEMENT_DATE = "2026-11-27"
# Types whose history lives in the audit trail: versioned, with vread.
VERSIONED = frozenset({"Patient", "MedicationRequest", "MedicationDispense"})

_DOCUMENTATION = {
    "Patient": "A customer. id: the customer code, `_` written as `.`. Read: 410 once deleted.",
    "MedicationRequest": "An order. The amount (KES) is in the extension "
    "{base}/StructureDefinition/order-amount (valueMoney).",
    "MedicationDispense": "A fulfilled order (same id as its MedicationRequest); "
    "whenHandedOver from the audit trail.",
    "Communication": "An SMS to the patient: one per order and kind of message, the kind in "
    "category (code system {base}/CodeSystem/sms-kind: order_received, order_ready, "
    "order_cancelled). status not-done: failed, or suppressed because the patient opted out; "
    "statusReason.text says which. No versions (the outbox keeps no audit trail). "
    "payload only for callers who may read orders (orders:read, or a SMART scope for "
    "MedicationRequest).",
}


def capability_statement(*, base: str) -> dict[str, Any]:
    documentation = (
        "Read-only FHIR R4 facade of Patient Order Service. Bearer tokens (OAuth 2.0) with "
        "`customers:read` (Patient) or `orders:read` (MedicationRequest, MedicationDispense, "
        "Communication), or SMART system scopes such as `system/Patient.rs` or "
        "`system/*.read`; token endpoint in "
        f"[.well-known/smart-configuration]({base}/.well-known/smart-configuration). "
        "Searches: keyset pages (follow `next`), `_count` 1-200 (default 50), unknown "
        "parameters are errors unless `Prefer: handling=lenient`."
    )
    if settings.FHIR_DOCUMENTATION_URL:
        documentation += f" Documentation: {settings.FHIR_DOCUMENTATION_URL}"
    else:
        documentation += " Documentation: docs/fhir.md in the source repository."
    return {
        "resourceType": "CapabilityStatement",
        "name": "PatientOrderServiceFhirR4",
        "title": "Patient Order Service FHIR R4 API",
        "status": "active",
        "date": STATEMENT_DATE,
        "kind": "instance",
        "software": {
            "name": "Patient Order Service",
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
        },
        "implementation": {
            "description": "Patient Order Service: patients, orders and their SMS, read-only.",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": documentation,
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "OAuth 2.0 bearer tokens from the service's OpenID "
                    "Provider; SMART Backend Services system scopes accepted.",
                },
                "resource": [_resource(resource_type, base) for resource_type in PARAMETERS],
            }
        ],
    }


def _resource(resource_type: str, base: str) -> dict[str, Any]:
    versioned = resource_type in VERSIONED
    interactions = ["read", "vread", "search-type"] if versioned else ["read", "search-type"]
    resource: dict[str, Any] = {
        "type": resource_type,
        "documentation": _DOCUMENTATION[resource_type].replace("{base}", base),
        "interaction": [{"code": code} for code in interactions],
        "versioning": "versioned" if versioned else "no-version",
        "readHistory": versioned,
        "updateCreate": False,
    }
    if resource_type in INCLUDES:
        resource["searchInclude"] = list(INCLUDES[resource_type])
    resource["searchParam"] = [
        {
            "name": name,
            **({"definition": parameter.definition} if parameter.definition else {}),
            "type": parameter.type,
            "documentation": parameter.documentation.replace("{base}", base),
        }
        for name, parameter in PARAMETERS[resource_type].items()
    ]
    return resource
