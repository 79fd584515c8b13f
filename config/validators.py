"""Validators shared by the apps' models, so the API, the desk and the admin apply them alike."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# C0 controls (tab and line breaks included), DEL and C1 controls: never part of a name, an
# item or a reference, and the raw material of forged log lines and broken SMS texts.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def validate_single_line(value: str) -> None:
    if _CONTROL_CHARACTER.search(value):
        raise ValidationError(
            "Enter a single line of text, without control characters (tabs and line breaks "
            "included).",
            code="control_characters",
        )
