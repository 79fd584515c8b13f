"""The small parsers of fhir.search on their own: escapes, token systems, date ranges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fhir.search import SearchError, alternatives, date_bounds, split_token, unescape


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("a,b", ["a", "b"]),
        (r"Bond\, James", [r"Bond\, James"]),
        (r"a\\,b", [r"a\\", "b"]),
        ("a,", ["a", ""]),
        ("trailing\\", ["trailing\\"]),
    ],
)
def test_commas_separate_alternatives_unless_escaped(value, parts):
    assert alternatives(value) == parts


def test_escapes_are_undone():
    assert unescape(r"Bond\, James \| 007 \\ \$") == r"Bond, James | 007 \ $"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("sys|code", ("sys", "code")),
        ("|code", ("", "code")),
        ("code", (None, "code")),
        ("sys|", ("sys", "")),
        (r"a\|b|c", ("a|b", "c")),
        (r"a\|b", (None, "a|b")),
    ],
)
def test_tokens_split_on_the_first_unescaped_bar(value, token):
    assert split_token(value) == token


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("2026", (utc(2026, 1, 1), utc(2027, 1, 1))),
        ("2026-12", (utc(2026, 12, 1), utc(2027, 1, 1))),
        ("2026-02", (utc(2026, 2, 1), utc(2026, 3, 1))),
        ("2026-05-01T10:00", (utc(2026, 5, 1, 10), utc(2026, 5, 1, 10, 1))),
        ("2026-05-01T10:00:05Z", (utc(2026, 5, 1, 10, 0, 5), utc(2026, 5, 1, 10, 0, 6))),
        (
            "2026-05-01T10:00:05.5Z",
            (utc(2026, 5, 1, 10, 0, 5, 500000), utc(2026, 5, 1, 10, 0, 5, 600000)),
        ),
        ("2026-05-01T13:00:00+03:00", (utc(2026, 5, 1, 10), utc(2026, 5, 1, 10, 0, 1))),
        ("2026-05-01T06:30:00-03:30", (utc(2026, 5, 1, 10), utc(2026, 5, 1, 10, 0, 1))),
        ("ge2026-05-01", (utc(2026, 5, 1), None)),
        ("gt2026-05-01", (utc(2026, 5, 2), None)),
        ("le2026-05-01", (None, utc(2026, 5, 2))),
        ("lt2026-05-01", (None, utc(2026, 5, 1))),
        ("9999", (utc(9999, 1, 1), None)),
    ],
)
def test_dates_name_ranges_as_long_as_their_precision(value, bounds):
    assert date_bounds("d", value) == bounds


@pytest.mark.parametrize(
    "value",
    [
        "",
        "26",
        "2026-1-1",
        "2026-05-01T10",
        "2026-05-01 10:00",
        "ge",
        "ew2026",
        "2026-05-01T10:00+03:00:00",
    ],
)
def test_malformed_dates_are_refused(value):
    with pytest.raises(SearchError):
        date_bounds("d", value)
