from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page envelope (`count`, `next`, `previous`, `results`) with a caller-chosen size."""

    page_size_query_param = "page_size"
    max_page_size = 200


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Cursor pages, newest first: the same cost on page 1 and page 10,000, and no COUNT(*)
    over a table that grows by every order. Stable while rows are being added."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
