from __future__ import annotations

from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request


class _StrictPageSize:
    """A `page_size` that is not a positive whole number is a 400, not silently ignored;
    one above the maximum is capped."""

    page_size_query_param: str | None = "page_size"
    max_page_size: int | None = 200
    page_size: int | None

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or int(raw) < 1:
            message = "Enter a whole number from 1 to 200."
            raise serializers.ValidationError({"page_size": [message]})
        return min(int(raw), self.max_page_size or int(raw))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PageNumberPagination(_StrictPageSize, pagination.PageNumberPagination):
    """DRF's page envelope (`count`, `next`, `previous`, `results`) with a caller-chosen size."""


class NewestFirstCursorPagination(_StrictPageSize, pagination.CursorPagination):
    """Cursor pages, newest first: the same cost on page 1 and page 10,000, and no COUNT(*)
    over a table that grows by every order. Stable while rows are being added."""

    ordering = ("-created_at", "-id")
    page_size = 50
