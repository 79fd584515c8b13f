"""The audit trail (django-simple-history), as every model here declares it."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import models
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


class AuditTrail(HistoricalRecords):
    """simple-history's trail, which remembers the model it records (`creation_record`)."""

    def contribute_to_class(self, cls: type[models.Model], name: str) -> None:
        super().contribute_to_class(cls, name)
        _TRAILS[cls] = self


_TRAILS: dict[type[models.Model], AuditTrail] = {}


def audit_trail(**options: Any) -> HistoricalRecords:
    return AuditTrail(history_manager=OnceBuiltHistoryManager, **options)


def creation_record(instance: models.Model, *, at: datetime) -> models.Model:
    """The audit row simple-history writes when `instance` is created, unsaved: for a caller
    that writes the instance and its row in one statement, without `save()`'s signal.

    Built as `HistoricalRecords.create_historical_record` builds it: the same fields, the
    author it would name (the request's user, or `_history_user`), the change reason.
    """
    trail = _TRAILS[type(instance)]
    fields = trail.fields_included(instance)
    record: models.Model = getattr(type(instance), trail.manager_name).model(
        history_date=at,
        history_type="+",
        history_user=trail.get_history_user(instance),
        history_change_reason=trail.get_change_reason_for_object(instance, "+", None),
        **{field.attname: getattr(instance, field.attname) for field in fields},
    )
    return record
