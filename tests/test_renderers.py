"""The API's JSON renderer writes what DRF's writes, byte for byte, only faster."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from django.utils.functional import lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import renderers, serializers
from rest_framework.utils.serializer_helpers import ReturnDict

from config.renderers import JSONRenderer
from notifications.models import SmsStatus

ours = JSONRenderer()
drfs = renderers.JSONRenderer()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    # Any text but lone surrogates (the request edge refuses them before a view runs),
    # with the two line separators DRF escapes drawn often.
    st.text(st.characters(blacklist_categories=["Cs"]) | st.sampled_from('\u2028\u2029\x00"\\')),
    st.datetimes(timezones=st.none() | st.just(UTC) | st.timezones()),
    st.dates(),
    st.times(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**8),
    st.uuids(),
    st.sampled_from(list(SmsStatus)),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def nested(depth: int) -> list[Any]:
    document: list[Any] = []
    for _ in range(depth):
        document = [document]
    return document


@given(documents)
def test_it_writes_what_drf_writes(document):
    assert ours.render(document) == drfs.render(document)


@pytest.mark.parametrize(
    "document",
    [
        {"big": 2**64},  # past orjson's 64 bits
        {1: "a key that is not text"},
        nested(300),  # past orjson's 254 levels
        {"when": datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)},
        {"at": time(7, 5, 1, 250000), "on": date(2026, 2, 1)},
        {"offset": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=3)))},
        {"lazy": lazy(lambda: "translated", str)()},
        {"id": uuid.UUID(int=1), "amount": Decimal("50.00")},
        ReturnDict({"detail": "a serializer's dict"}, serializer=serializers.Serializer()),
        {"line": "one\u2028two\u2029three"},
        "",
        [],
    ],
)
def test_what_orjson_cannot_write_or_writes_otherwise_comes_out_as_drf_writes_it(document: Any):
    assert ours.render(document) == drfs.render(document)


def test_nothing_is_an_empty_body():
    assert ours.render(None) == b""


def test_an_indented_response_is_drfs():
    indented = "application/json; indent=2"
    document = {"a": [1, {"b": "c"}]}
    assert ours.render(document, indented) == drfs.render(document, indented)
    assert b"\n  " in ours.render(document, indented)
