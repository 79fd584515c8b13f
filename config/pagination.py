from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page envelope (`count`, `next`, `previous`, `results`) with a caller-chosen size."""

    page_size_query_param = "page_size"
    max_page_size = 200
