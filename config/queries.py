"""Small query helpers shared by the apps' selectors."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, Q

M = TypeVar("M", bound=Model)


def between(field: str, start: datetime | None, end: datetime | None) -> Q:
    """`start <= field < end`, either side open when None: a half-open interval, so adjacent
    intervals never overlap and never leave a gap."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition


def instance_from_row(
    model: type[M], row: tuple[object, ...], *, using: str = DEFAULT_DB_ALIAS
) -> M:
    """An instance of `model` from a row of its concrete fields in declaration order (the
    ORM's own select of the model), each value converted as the ORM converts it.

    What `Model.objects.raw()` does for a row, less what it works out again on every call
    (the columns from the cursor, their order, the translations): for a lookup whose SQL is
    compiled once (`customers.selectors.customer_get_by_code`).
    """
    database = connections[using]
    fields = model._meta.concrete_fields
    values = list(row)
    for position, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        for convert in database.ops.get_db_converters(column) + field.get_db_converters(database):
            values[position] = convert(values[position], column, database)
    return model.from_db(using, [field.attname for field in fields], values)
