"""Small query helpers shared by the apps' selectors."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q


def between(field: str, start: datetime | None, end: datetime | None) -> Q:
    """`start <= field < end`, either side open when None: a half-open interval, so adjacent
    intervals never overlap and never leave a gap."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition
