"""Our rows as HL7 FHIR R4 (4.0.1) resources: pure functions, no queries, no requests.

Base R4 resources, no profile claimed (the Kenyan profiles need coded medications, dosage and a
Practitioner, which free-text orders cannot honestly give). The mapping reads top to bottom:

- Patient from a Customer; its id is the customer code (with `_`, which FHIR ids do not
  allow, written as `.`: codes never contain a dot, so the two convert both ways);
- MedicationRequest from an Order (read as a plain row, `orders.selectors.AuditedOrder`); its
  amount, which no MedicationRequest element holds, rides in the extension
  `{base}/StructureDefinition/order-amount`;
- MedicationDispense from a fulfilled Order (same id: one dispense per fulfilled order);
- Communication from an SMS outbox row (one per order and kind of message), the kind in
  `category` from the code system `{base}/CodeSystem/sms-kind`;
- OperationOutcome for errors, Bundle for search results.

Resources are plain dicts, serialised by the renderer: measured faster than building a FHIR
model library's objects (docs/fhir.md); the tests check every one against fhirclient's
R4 models and the FHIRPath invariants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from customers.models import Customer
    from notifications.models import SmsNotification
    from orders.selectors import AuditedOrder

FHIR_VERSION = "4.0.1"
AMOUNT_EXTENSION_PATH = "StructureDefinition/order-amount"
AMOUNT_CURRENCY = "KES"
IDENTIFIER_TYPES_SYSTEM = "https://fhir.dha.go.ke/terminology/CodeSystem/identifier-types-cs"
PARTICIPATION_MODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
SMS_KIND_SYSTEM_PATH = "CodeSystem/sms-kind"
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"

# FHIR's id type: [A-Za-z0-9\-\.]{1,64}.
_FHIR_ID = re.compile(r"[A-Za-z0-9.-]{1,64}\Z", re.ASCII)

# Order status -> MedicationRequest.status (required binding, medicationrequest-status).
MEDICATION_REQUEST_STATUS: Mapping[str, str] = {
    "placed": "active",
    "fulfilled": "completed",
    "cancelled": "cancelled",
}

# SMS status -> Communication.status (required binding, event-status). `suppressed`: not sent
# because the patient opted out, as final as `failed`.
COMMUNICATION_STATUS: Mapping[str, str] = {
    "queued": "preparation",
    "sending": "preparation",
    "sent": "in-progress",
    "delivered": "completed",
    "failed": "not-done",
    "suppressed": "not-done",
}

# SMS kind -> Communication.category (example binding: a code system of our own, at
# `{base}/CodeSystem/sms-kind`). The codes are the kinds as the REST API spells them, so an
# integrator reading both sees one vocabulary; the displays are the kinds' labels.
SMS_KINDS: Mapping[str, str] = {
    "order_received": "Order received",
    "order_ready": "Order ready",
    "order_cancelled": "Order cancelled",
}

# Customer.preferred_language -> Patient.communication.language (BCP 47).
LANGUAGES: Mapping[str, str] = {"en": "English", "sw": "Swahili"}

# HTTP status -> OperationOutcome.issue.code (required binding, issue-type).
_ISSUE_CODES: Mapping[int, str] = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
    503: "transient",
}


@dataclass(frozen=True)
class Version:
    """A resource's version: its audit-trail entry's id (None for a row saved before the
    audit trail existed, or one with no audit trail) and when it was made."""

    id: str | None
    at: datetime

    @classmethod
    def of(cls, history_id: int | None, at: datetime) -> Version:
        return cls(str(history_id) if history_id is not None else None, at)


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC, to the microsecond the database keeps: `2026-05-01T10:00:00.5Z`
    style, as the datetime regex allows."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


# FHIR strings may not hold characters below U+0020 other than tab, CR and LF; JSON cannot
# carry lone surrogates. Both become U+FFFD, so a stray byte in a name never makes a resource
# invalid.
_UNSAFE = {c: "\ufffd" for c in [*range(0x20), *range(0xD800, 0xE000)] if c not in (9, 10, 13)}


def text(value: str) -> str:
    return value if value.isprintable() else value.translate(_UNSAFE)


def patient_id(code: str) -> str:
    """The Patient id of a customer code: `_` becomes `.` (FHIR ids allow no underscore)."""
    return code.replace("_", ".")


def customer_code(resource_id: str) -> str | None:
    """The customer code of a Patient id, or None when it cannot be one."""
    if not _FHIR_ID.match(resource_id) or "_" in resource_id:
        return None
    return resource_id.replace(".", "_")


def numeric_id(resource_id: str) -> int | None:
    """The row id behind a numeric resource id (ASCII digits only), or None."""
    if not re.fullmatch(r"[1-9][0-9]{0,17}", resource_id, re.ASCII):
        return None
    return int(resource_id)


def _meta(version: Version) -> dict[str, Any]:
    meta: dict[str, Any] = {"lastUpdated": instant(version.at)}
    if version.id is not None:
        meta = {"versionId": version.id, **meta}
    return meta


def _patient_reference(code: str) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id(code)}"}


def patient_resource(customer: Customer, *, version: Version) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = [
        {
            "use": "usual",
            "system": settings.FHIR_PATIENT_IDENTIFIER_SYSTEM,
            "value": customer.code,
        }
    ]
    if customer.insurance_number:
        identifiers.append(
            {
                "type": {"coding": [{"system": IDENTIFIER_TYPES_SYSTEM, "code": "SHA-NUMBER"}]},
                "system": settings.FHIR_INSURANCE_IDENTIFIER_SYSTEM,
                "value": text(customer.insurance_number),
            }
        )
    telecom = []
    if customer.contact_number:
        telecom.append({"system": "phone", "value": customer.contact_number, "use": "mobile"})
    if customer.email:
        telecom.append({"system": "email", "value": text(customer.email)})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id(customer.code),
        "meta": _meta(version),
        "identifier": identifiers,
        "name": [{"text": text(customer.name)}],
    }
    if telecom:
        resource["telecom"] = telecom
    # Every customer has one (English unless told otherwise): the language of their SMS.
    language = customer.preferred_language
    resource["communication"] = [
        {
            "language": {
                "coding": [
                    {"system": LANGUAGE_SYSTEM, "code": language, "display": LANGUAGES[language]}
                ]
            },
            "preferred": True,
        }
    ]
    return resource


def medication_request_resource(
    order: AuditedOrder, *, version: Version, base: str
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": str(order["id"]),
        "meta": _meta(version),
        "extension": [
            {
                "url": f"{base}/{AMOUNT_EXTENSION_PATH}",
                # Two decimal places always, so a float holds the amount exactly.
                "valueMoney": {"value": float(order["amount"]), "currency": AMOUNT_CURRENCY},
            }
        ],
        "status": MEDICATION_REQUEST_STATUS[order["status"]],
        "intent": "order",
        "medicationCodeableConcept": {"text": text(order["item"])},
        "subject": _patient_reference(order["customer_code"]),
        "authoredOn": instant(order["created_at"]),
        "requester": {"display": text(order["physician_name"])},
    }


def medication_dispense_resource(
    order: AuditedOrder, *, version: Version, fulfilled_at: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": str(order["id"]),
        "meta": _meta(version),
        "status": "completed",
        "medicationCodeableConcept": {"text": text(order["item"])},
        "subject": _patient_reference(order["customer_code"]),
        "authorizingPrescription": [{"reference": f"MedicationRequest/{order['id']}"}],
        "whenHandedOver": instant(fulfilled_at),
    }


def communication_resource(
    notification: SmsNotification, *, include_payload: bool, base: str
) -> dict[str, Any]:
    """An SMS as a Communication: one per message, so an order has one for each step the
    patient was told about (`category`). The outbox keeps no audit trail, so there is no
    versionId; the phone number is never shown (the recipient is the Patient). The text only
    for callers who may read orders (`include_payload`)."""
    patient = _patient_reference(notification.order.customer.code)
    status = COMMUNICATION_STATUS[notification.status]
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(notification.pk),
        "meta": _meta(Version(None, notification.updated_at)),
        "status": status,
    }
    # Why it was not sent (failed, or suppressed for an opt-out). A message still queued may
    # carry the error of a retry it is waiting for: not a reason for its current status.
    if status == "not-done" and notification.last_error:
        resource["statusReason"] = {"text": text(notification.last_error)}
    resource |= {
        "category": [
            {
                "coding": [
                    {
                        "system": f"{base}/{SMS_KIND_SYSTEM_PATH}",
                        "code": notification.kind,
                        "display": SMS_KINDS[notification.kind],
                    }
                ]
            }
        ],
        "medium": [
            {
                "coding": [
                    {
                        "system": PARTICIPATION_MODE_SYSTEM,
                        "code": "SMSWRIT",
                        "display": "SMS message",
                    }
                ]
            }
        ],
        "subject": patient,
        "about": [{"reference": f"MedicationRequest/{notification.order_id}"}],
    }
    if notification.sent_at is not None:
        resource["sent"] = instant(notification.sent_at)
    if notification.delivered_at is not None:
        resource["received"] = instant(notification.delivered_at)
    resource["recipient"] = [patient]
    if include_payload and notification.message:
        resource["payload"] = [{"contentString": text(notification.message)}]
    return resource


def operation_outcome(
    status: int, diagnostics: str, *, severity: str = "error", code: str | None = None
) -> dict[str, Any]:
    """An OperationOutcome for an HTTP status; `diagnostics` is for people, not parsing."""
    if code is None:
        code = _ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": severity,
                "code": code,
                "diagnostics": text(diagnostics) or "Error.",
            }
        ],
    }


@dataclass(frozen=True)
class Entry:
    resource: dict[str, Any]
    mode: str  # "match", "include" or "outcome"


def searchset(
    *,
    base: str,
    entries: list[Entry],
    self_url: str,
    next_url: str | None,
    total: int | None,
) -> dict[str, Any]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    bundle["link"] = links
    if entries:
        bundle["entry"] = [_bundle_entry(base, entry) for entry in entries]
    return bundle


def _bundle_entry(base: str, entry: Entry) -> dict[str, Any]:
    resource = entry.resource
    if entry.mode == "outcome":
        return {"resource": resource, "search": {"mode": "outcome"}}
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": entry.mode},
    }
