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
    "400": (
        "Invalid input: field-level messages name each field at fault. Also for a NUL "
        "character or an unpaired surrogate anywhere in the request (path, query, headers, "
        "body), an unknown or read-only field in a JSON body, and a change that changes "
        "nothing."
    ),
    "401": "Missing, invalid or expired access token.",
    "403": "The access token lacks the scope this operation needs.",
    "404": "No such resource (or page).",
    "406": "The Accept header asks for a format this API does not produce.",
    "409": "The request conflicts with the resource's current state.",
    "411": "The request body was sent without a Content-Length (chunked): send its length.",
    "413": "The request body is larger than the configured limit.",
    "415": "The request body's media type is not supported.",
    "422": "The Idempotency-Key was already used with a different request.",
    "429": "Too many requests from this client; see Retry-After.",
    "503": "The database is briefly unavailable (a restart, a failover); retry.",
}

_WRITE = {"post", "put", "patch"}


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    # 400: any request may carry a NUL or a lone surrogate (config.middleware).
    codes = {"400", "401", "403", "406", "429", "503"}
    parameters = operation.get("parameters", [])
    if "{" in path:
        codes.add("404")
    if method in _WRITE:
        codes |= {"411", "413", "415"}
    if method == "get" and any(p.get("in") == "query" for p in parameters):
        codes.add("404")  # a page or cursor that does not exist
    if any(p.get("name") == "Idempotency-Key" for p in parameters):
        codes |= {"409", "422"}
    # A state the request cannot apply to: a customer with orders, a final order, an SMS that
    # has not failed. (DELETE of /sms-opt-out/ only opts back in: it cannot conflict.)
    if (
        (method == "delete" and path == "/api/customers/{code}/")
        or (method == "patch" and path.startswith("/api/orders/"))
        or path.endswith("/sms/resend/")
    ):
        codes.add("409")
    return codes


def _allow_empty_filters(operation: dict[str, Any]) -> None:
    """An empty filter (`?status=`, as an HTML filter form sends it) means "no filter"."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "query" and ("format" in schema or "enum" in schema):
            parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


_WRITE_ONLY_NOTE = (
    "\n\nA caller with this resource's write scope but not its read scope gets only the "
    "record's identifier (`id` or `code`) in the response body."
)


def _strict_json_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """JSON bodies take their documented fields and no others (config.serializers)."""
    content = operation.get("requestBody", {}).get("content", {})
    reference = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    component = schemas.get(reference.rpartition("/")[2])
    if component is not None:
        component["additionalProperties"] = False


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _allow_empty_filters(operation)
            _strict_json_body(operation, schemas)
            if method in _WRITE and any(operation.get("security", [])):
                operation["description"] = operation.get("description", "") + _WRITE_ONLY_NOTE
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
