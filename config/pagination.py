from __future__ import annotations

import binascii
from base64 import urlsafe_b64decode, urlsafe_b64encode
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any
from urllib import parse

from django.core import signing
from django.core.paginator import Page, Paginator
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from config.fields import ascii_int


class _StrictPageSize:
    """A `page_size` that is not a positive whole number (ASCII digits) is a 400, not silently
    ignored; one above the maximum is capped."""

    page_size_query_param: str | None = "page_size"
    max_page_size: int | None = 200
    page_size: int | None

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        size = ascii_int(raw)
        if size is None or size < 1:
            message = "Enter a whole number from 1 to 200."
            raise serializers.ValidationError({"page_size": [message]})
        return min(size, self.max_page_size or size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)  # type: ignore[misc]
        for parameter in parameters:
            if parameter["name"] == "page_size":
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PageNumberPagination(_StrictPageSize, pagination.PageNumberPagination):
    """DRF's page envelope (`count`, `next`, `previous`, `results`) with a caller-chosen size."""

    def get_page_number(self, request: Request, paginator: Paginator) -> int:
        raw = request.query_params.get(self.page_query_param, "1")
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = ascii_int(raw)
        if number is None:
            # Django's paginator would read an Arabic-Indic one as 1 (and fail on "²").
            raise NotFound(self.invalid_page_message.format(page_number=raw[:20], message=""))
        return number


class _CappedCountPaginator(Paginator):
    """Django's paginator counting no further than `count_limit` rows."""

    def __init__(self, object_list: Any, per_page: int, *, count_limit: int) -> None:
        super().__init__(object_list, per_page)
        self.count_limit = count_limit

    @cached_property
    def count(self) -> int:
        # SELECT COUNT(*) FROM (SELECT ... LIMIT n): the database stops at n matching rows.
        return int(self.object_list.order_by()[: self.count_limit].count())  # type: ignore[attr-defined]

    def page(self, number: Any) -> Page:
        """The first page is read with one row more than it holds: when that row is not
        there, the page is every match and its length is the count, with no COUNT query. A
        search as the front desk types it usually fits on the first page, and the count
        walked its matches again (half the cost of a search of a million patients)."""
        if number != 1:
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.count = len(rows)
        return Page(rows[: self.per_page], 1, self)


class CappedCountPagination(PageNumberPagination):
    """Pages by number, as PageNumberPagination, but `count` stops at COUNT_LIMIT rows past
    the first row of the page asked for: COUNT(*) over every match read the whole table on
    every page and every keystroke of a search. A `count` of exactly that limit means "at
    least"; `next` is there whenever there are more rows, so every page is still reachable
    (and `last` is the last page within the limit)."""

    count_limit = 1000

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        page_size = self.get_page_size(request)
        number = ascii_int(request.query_params.get(self.page_query_param, "1")) or 1
        start = (max(number, 1) - 1) * (page_size or 0)
        self.django_paginator_class = partial(  # type: ignore[assignment]
            _CappedCountPaginator, count_limit=start + self.count_limit
        )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"The number of matches, counted up to {self.count_limit:,} past the first row "
            "of this page: that many means at least that many (follow `next`)."
        )
        return response


class NewestFirstCursorPagination(_StrictPageSize, pagination.CursorPagination):
    """Cursor pages, newest first: the same cost on page 1 and page 10,000, and no COUNT(*)
    over a table that grows by every order. Stable while rows are being added.

    Cursors are signed: one we did not issue (tampered, truncated, made up) is a 404 before
    any part of it reaches a query. DRF's own cursor carries the position as free text that
    goes into the WHERE clause as it is, so a made-up one was a 500 on either database.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    offset_cutoff = 1000
    _signer = signing.Signer(salt="config.pagination.cursor", sep=".")

    def encode_cursor(self, cursor: pagination.Cursor) -> str:
        tokens: dict[str, str] = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        payload = urlsafe_b64encode(parse.urlencode(tokens).encode("ascii")).decode("ascii")
        signed = self._signer.sign(payload.rstrip("="))
        return replace_query_param(self.base_url or "", self.cursor_query_param, signed)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            payload = self._signer.unsign(encoded)
            padded = payload + "=" * (-len(payload) % 4)
            tokens = parse.parse_qs(urlsafe_b64decode(padded).decode("ascii"), strict_parsing=True)
            offset = ascii_int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
        except (signing.BadSignature, binascii.Error, UnicodeError, ValueError):
            raise NotFound(self.invalid_cursor_message) from None
        if offset is None or offset > self.offset_cutoff or reverse not in ("0", "1"):
            raise NotFound(self.invalid_cursor_message)
        if position is not None and not _is_timestamp(position):
            # Signed by us, so only an old or foreign key could get here; still never a 500.
            raise NotFound(self.invalid_cursor_message)
        # DRF's stubs say int; its cursors carry the ordering value as text.
        return pagination.Cursor(offset=offset, reverse=reverse == "1", position=position)  # type: ignore[arg-type]


def _is_timestamp(text: str) -> bool:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return text.isascii() and moment.utcoffset() == timedelta(0)
