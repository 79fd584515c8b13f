"""Checks that a resource is valid FHIR R4 (4.0.1), offline.

- fhirclient's R4 models (generated from the 4.0.1 StructureDefinitions by the SMART on FHIR
  project): element names, types, cardinality, required elements, and the regular
  expressions of date, dateTime and instant. Loading must succeed strictly and `as_json()`
  must give back exactly what we served, so no element is lost or unknown.
- The FHIRPath invariants of the resources and data types we emit, evaluated by fhirpathpy
  with its R4 model (the expressions as the specification writes them).
- What neither checks: ele-1 in JSON terms (no null, no empty string, array or object), the
  id and string regular expressions, and the codes of required bindings.
"""

from __future__ import annotations

import re
from typing import Any

from fhirclient.models.fhirelementfactory import FHIRElementFactory
from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models

R4 = models["r4"]

# (key, FHIRPath expression on the resource); from the R4 specification.
_DOMAIN_RESOURCE = [
    ("dom-2", "contained.contained.empty()"),
    ("dom-4", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"),
    ("dom-5", "contained.meta.security.empty()"),
    ("ext-1", "extension.all(extension.exists() != value.exists())"),
    (
        "ref-1",
        "descendants().where(reference.exists()).all(reference.startsWith('#').not() or "
        "(reference.substring(1) in %rootResource.contained.id))",
    ),
]
INVARIANTS: dict[str, list[tuple[str, str]]] = {
    "Patient": [
        *_DOMAIN_RESOURCE,
        (
            "pat-1",
            "contact.all(name.exists() or telecom.exists() or address.exists() or "
            "organization.exists())",
        ),
        ("cpt-2", "telecom.all(value.empty() or system.exists())"),
    ],
    "MedicationRequest": _DOMAIN_RESOURCE,
    "MedicationDispense": [
        *_DOMAIN_RESOURCE,
        (
            "mdd-1",
            "whenHandedOver.empty() or whenPrepared.empty() or whenHandedOver >= whenPrepared",
        ),
    ],
    "Communication": _DOMAIN_RESOURCE,
    "OperationOutcome": _DOMAIN_RESOURCE,
    "Bundle": [
        ("bdl-1", "total.empty() or (type = 'searchset') or (type = 'history')"),
        ("bdl-2", "entry.search.empty() or (type = 'searchset')"),
        (
            "bdl-3",
            "entry.all(request.exists() = (%resource.type = 'batch' or "
            "%resource.type = 'transaction' or %resource.type = 'history'))",
        ),
        (
            "bdl-4",
            "entry.all(response.exists() = (%resource.type = 'batch-response' or "
            "%resource.type = 'transaction-response' or %resource.type = 'history'))",
        ),
        ("bdl-5", "entry.all(resource.exists() or request.exists() or response.exists())"),
        (
            "bdl-7",
            "(type = 'history') or "
            "entry.where(fullUrl.exists()).select(fullUrl&resource.meta.versionId).isDistinct()",
        ),
        # On each entry, where an empty result passes: an entry without fullUrl (an outcome).
        ("bdl-8", "entry.where(fullUrl.exists()).all(fullUrl.contains('/_history/').not())"),
        (
            "bdl-9",
            "type = 'document' implies (identifier.system.exists() and identifier.value.exists())",
        ),
        # As written: `timestamp.hasValue()`; fhirpathpy has no hasValue(), and for a
        # primitive without extensions exists() means the same.
        ("bdl-10", "type = 'document' implies (timestamp.exists())"),
    ],
    "CapabilityStatement": [
        *_DOMAIN_RESOURCE,
        ("cpb-0", "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')"),
        ("cpb-1", "rest.exists() or messaging.exists() or document.exists()"),
        ("cpb-2", "(description.count() + software.count() + implementation.count()) > 0"),
        ("cpb-3", "messaging.endpoint.empty() or kind = 'instance'"),
        ("cpb-7", "document.select(profile&mode).isDistinct()"),
        ("cpb-9", "rest.all(resource.select(type).isDistinct())"),
        ("cpb-12", "rest.resource.all(searchParam.select(name).isDistinct())"),
        ("cpb-14", "(kind != 'instance') or implementation.exists()"),
        (
            "cpb-15",
            "(kind != 'capability') or (implementation.exists().not() and software.exists())",
        ),
        (
            "cpb-16",
            "(kind!='requirements') or (implementation.exists().not() and software.exists().not())",
        ),
    ],
}

# Required bindings: (path, the value set's codes).
_ISSUE_TYPES = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown",
    "expired", "forbidden", "suppressed", "processing", "not-supported", "duplicate",
    "multiple-matches", "not-found", "deleted", "too-long", "code-invalid", "extension",
    "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational",
}  # fmt: skip
REQUIRED_CODES: dict[str, list[tuple[str, set[str]]]] = {
    "Patient": [
        ("identifier.use", {"usual", "official", "temp", "secondary", "old"}),
        ("telecom.system", {"phone", "fax", "email", "pager", "url", "sms", "other"}),
        ("telecom.use", {"home", "work", "temp", "old", "mobile"}),
    ],
    "MedicationRequest": [
        (
            "status",
            {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
             "draft", "unknown"},
        ),
        (
            "intent",
            {"proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
             "instance-order", "option"},
        ),
        ("extension.valueMoney.currency", {"KES"}),
    ],
    "MedicationDispense": [
        (
            "status",
            {"preparation", "in-progress", "cancelled", "on-hold", "completed",
             "entered-in-error", "stopped", "declined", "unknown"},
        ),
    ],
    "Communication": [
        (
            "status",
            {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
             "entered-in-error", "unknown"},
        ),
    ],
    "OperationOutcome": [
        ("issue.severity", {"fatal", "error", "warning", "information"}),
        ("issue.code", _ISSUE_TYPES),
    ],
    "Bundle": [
        ("type", {"searchset"}),
        ("entry.search.mode", {"match", "include", "outcome"}),
    ],
    "CapabilityStatement": [
        ("status", {"draft", "active", "retired", "unknown"}),
        ("kind", {"instance", "capability", "requirements"}),
        ("fhirVersion", {"4.0.1"}),
        ("rest.mode", {"client", "server"}),
        (
            "rest.resource.interaction.code",
            {"read", "vread", "update", "patch", "delete", "history-instance",
             "history-type", "create", "search-type"},
        ),
        ("rest.resource.versioning", {"no-version", "versioned", "versioned-update"}),
        (
            "rest.resource.searchParam.type",
            {"number", "date", "string", "token", "reference", "composite", "quantity", "uri",
             "special"},
        ),
    ],
}  # fmt: skip

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}\Z")
# FHIR string: not empty, no characters below U+0020 other than tab, CR and LF.
_STRING = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f]+\Z")


_compiled: dict[str, Any] = {}


def _evaluate(resource: dict[str, Any], expression: str, variables: dict[str, Any]) -> list[Any]:
    """fhirpathpy with the R4 model; each expression parsed once per run."""
    if expression not in _compiled:
        _compiled[expression] = compile_fhirpath(expression, R4)
    result: list[Any] = _compiled[expression](resource, variables)
    return result


def _json_rules(value: Any, path: str) -> None:
    """ele-1 in JSON: every element has a value or children; strings as FHIR allows."""
    assert value is not None, f"{path} is null"
    if isinstance(value, dict):
        assert value, f"{path} is an empty object"
        for key, child in value.items():
            _json_rules(child, f"{path}.{key}")
    elif isinstance(value, list):
        assert value, f"{path} is an empty array"
        for index, child in enumerate(value):
            _json_rules(child, f"{path}[{index}]")
    elif isinstance(value, str):
        assert _STRING.match(value), f"{path} is not a FHIR string: {value!r}"
        assert not any(0xD800 <= ord(c) < 0xE000 for c in value), f"{path}: lone surrogate"


def validate(resource: dict[str, Any]) -> None:
    """Fail with the reason unless `resource` (and every resource in a Bundle) is valid."""
    _json_rules(resource, resource["resourceType"])
    model = FHIRElementFactory.instantiate(resource["resourceType"], resource)
    assert model.as_json() == resource, "the R4 model does not give back what was served"
    _validate_resource(resource)


def _validate_resource(resource: dict[str, Any]) -> None:
    resource_type = resource["resourceType"]
    if "id" in resource:
        assert _ID.match(resource["id"]), f"{resource_type}.id {resource['id']!r} is not an id"
    variables = {"resource": resource, "rootResource": resource}
    for key, expression in INVARIANTS[resource_type]:
        result = _evaluate(resource, expression, variables)
        assert result == [True], f"{resource_type} breaks {key}: {expression} gave {result}"
    for path, codes in REQUIRED_CODES.get(resource_type, []):
        found = set(_evaluate(resource, path, variables))
        assert found <= codes, f"{resource_type}.{path}: {found - codes} not in the value set"
    for entry in resource.get("entry", []):
        _validate_resource(entry["resource"])
