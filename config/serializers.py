"""What every input serializer of the API shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from config.exceptions import DomainError


class NothingToChange(DomainError):
    def __init__(self) -> None:
        super().__init__("The request changes nothing: send at least one field to change.")


# Sent by HTML forms (the browsable API's), not by the caller as data.
_FORM_MACHINERY = frozenset({"csrfmiddlewaretoken"})


class StrictInputMixin:
    """Input is taken as it is meant or not at all: a field the serializer does not know, or
    one it only shows, is a 400 naming it (DRF would drop it silently and answer as if it had
    been applied), and a partial update with no field is a 400, not a 200 that changed
    nothing."""

    fields: Any
    partial: bool
    # A serializer whose fields are all optional but of which one is needed (PATCH bodies).
    requires_a_field = False

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for key in data.keys() - _FORM_MACHINERY:
                field = self.fields.get(key)
                if field is None:
                    errors[str(key)] = ["Unknown field."]
                elif field.read_only:
                    errors[str(key)] = ["This field is read-only."]
            if errors:
                raise serializers.ValidationError(errors)
            if not (data.keys() - _FORM_MACHINERY) and (self.partial or self.requires_a_field):
                raise NothingToChange()
        return super().to_internal_value(data)  # type: ignore[misc]
