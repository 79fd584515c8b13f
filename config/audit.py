"""The audit trail (django-simple-history), as every model here declares it."""

from __future__ import annotations

from functools import cache
from typing import Any

from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords


class OnceBuiltHistoryManager(HistoryManager):
    """simple-history's manager, whose class is built once per queryset class.

    `Model.history` calls `from_queryset` on every access, which builds a new manager class
    (`inspect.getmembers` over the queryset, a `type()` call): about a tenth of placing an
    order went there, since every audit row is written through that manager. The class it
    builds is the same every time, so it is built once.
    """

    @classmethod
    @cache
    def from_queryset(cls, queryset_class: type, class_name: str | None = None) -> Any:
        return super().from_queryset(queryset_class, class_name)


def audit_trail(**options: Any) -> HistoricalRecords:
    return HistoricalRecords(history_manager=OnceBuiltHistoryManager, **options)
