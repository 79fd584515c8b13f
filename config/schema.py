"""OpenAPI schema post-processing: every error response the API can give, documented.

The views declare their success responses; the errors come from shared machinery (validation,
authentication, throttling, the size limit, domain rules), so they are added here in one place.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        'Either {"detail": "message"} or field-level messages: {"field": ["message", ...]}.'
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

_DESCRIPTIONS = {
    "400": "Invalid input: field-level messages name each field at fault.",
    "401": "Missing, invalid or expired access token.",
    "403": "The access token lacks the scope this operation needs.",
    "404": "No such resource (or page).",
    "406": "The Accept header asks for a format this API does not produce.",
    "409": "The request conflicts with the resource's current state.",
    "413": "The request body is larger than the configured limit.",
    "415": "The request body's media type is not supported.",
    "422": "The Idempotency-Key was already used with a different request.",
    "429": "Too many requests from this client; see Retry-After.",
    "503": "The database is briefly unavailable (a restart, a failover); retry.",
}

_WRITE = {"post", "put", "patch"}


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    codes = {"401", "403", "406", "429", "503"}
    parameters = operation.get("parameters", [])
    if "{" in path:
        codes.add("404")
    if method in _WRITE:
        codes |= {"400", "413", "415"}
    if method == "get" and any(p.get("in") == "query" for p in parameters):
        codes |= {"400", "404"}  # a bad filter value; a page or cursor that does not exist
    if any(p.get("name") == "Idempotency-Key" for p in parameters):
        codes |= {"409", "422"}
    # Deleting a customer with orders; changing an order against its life cycle. (DELETE of
    # /sms-opt-out/ only opts back in: it cannot conflict.)
    if (method == "delete" and path == "/api/customers/{code}/") or (
        method == "patch" and path.startswith("/api/orders/")
    ):
        codes.add("409")
    return codes


def _allow_empty_filters(operation: dict[str, Any]) -> None:
    """An empty filter (`?status=`, as an HTML filter form sends it) means "no filter"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "query" and ("format" in schema or "enum" in schema):
            parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _allow_empty_filters(operation)
            responses = operation.setdefault("responses", {})
            for code in sorted(_codes(path, method, operation)):
                responses.setdefault(
                    code,
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
