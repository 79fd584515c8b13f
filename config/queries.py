"""Small query helpers shared by the apps' selectors."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import Col

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


def compiled_sql(queryset: QuerySet[Any, Any], *, params: tuple[object, ...]) -> str:
    """The SQL the ORM compiles for `queryset`, whose parameters must be `params` in that
    order: for a query run on every request, whose compiling cost more than running it. The
    caller compiles it once (`functools.cache`) and runs it with its own values in their
    place."""
    sql, compiled_params = queryset.query.sql_with_params()
    assert compiled_params == params, compiled_params
    return sql


def instance_from_row(
    model: type[M],
    row: tuple[object, ...],
    *,
    only: tuple[str, ...] = (),
    using: str = DEFAULT_DB_ALIAS,
) -> M:
    """An instance of `model` from a row of its concrete fields in declaration order (the
    ORM's own select of the model, or of `.only(*only)`: the key and those fields), each value
    converted as the ORM converts it; fields not read are deferred, as `.only()` leaves them.

    What `Model.objects.raw()` does for a row, less what it works out again on every call
    (the columns from the cursor, their order, the translations): for a lookup whose SQL is
    compiled once (`customers.selectors.customer_get_by_code`).
    """
    database = connections[using]
    values = list(row)
    for position, column in _converted_columns(model, only, using):
        field = column.target
        for convert in database.ops.get_db_converters(column) + field.get_db_converters(database):
            values[position] = convert(values[position], column, database)
    return model.from_db(using, _attnames(model, only), values)


def _read_fields(model: type[Model], only: tuple[str, ...]) -> list[Any]:
    return [
        field
        for field in model._meta.concrete_fields
        if not only or field.primary_key or field.name in only
    ]


@cache
def _attnames(model: type[Model], only: tuple[str, ...]) -> list[str]:
    return [field.attname for field in _read_fields(model, only)]


@cache
def _converted_columns(
    model: type[Model], only: tuple[str, ...], using: str
) -> list[tuple[int, Col]]:
    """The columns read whose values the database `using` hands back in another form than
    the field's (SQLite: text for times, integers for booleans), with their positions: on
    PostgreSQL, none of most models'. Which they are depends on the database's kind only, so
    any thread's connection can tell."""
    database = connections[using]
    columns = []
    for position, field in enumerate(_read_fields(model, only)):
        column = field.get_col(model._meta.db_table)
        if database.ops.get_db_converters(column) or field.get_db_converters(database):
            columns.append((position, column))
    return columns
