"""Input fields shared by the API's serializers."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rest_framework import serializers

# An optional minus, ASCII digits, and optionally a point and more ASCII digits.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")


def ascii_int(raw: str) -> int | None:
    """`raw` as a non-negative whole number, or None unless it is 1 to 9 ASCII digits.

    `int()` also reads other scripts' digits (Arabic-Indic, full-width), underscores ("1_000")
    and spaces, and `str.isdigit()` is true for superscripts, which `int()` then refuses:
    numbers we accept are ASCII digits only, everywhere.
    """
    return int(raw) if _ASCII_DIGITS.fullmatch(raw) else None


class AsciiDecimalField(serializers.DecimalField):
    """DRF's DecimalField reads a string as Python's Decimal does: with spaces around it, with
    underscores ("1_000") and in any script's digits (Arabic-Indic, full-width). Here a number
    in a string is plain: an optional minus, ASCII digits, and an optional point with ASCII
    digits. JSON numbers are read as before."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, str) and not _PLAIN_DECIMAL.fullmatch(data):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value
