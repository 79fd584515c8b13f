"""Reads of the SMS outbox: an order's messages, folded into the order's own query, and their
status history; and, for the FHIR facade (fhir app), criteria as Q objects the caller combines
and a page function that owns ordering and keyset paging. Each outbox row is one message (one
per order and kind), so a Communication is one row."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Func, JSONField, Min, Q, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from customers.selectors import customers_with_exact_code
from notifications.models import TO_DO, SmsKind, SmsNotification, SmsStatus, SmsStatusChange

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from orders.models import Order


class NotificationSummary(TypedDict):
    """What an order's representation shows of one of its messages."""

    id: int
    kind: str
    status: str
    language: str
    encoding: str
    segments: int
    attempts: int
    last_error: str
    provider_message_id: str
    created_at: datetime
    updated_at: datetime


_COLUMNS = tuple(NotificationSummary.__annotations__)
# The attribute the order's query leaves its messages in (a JSON array), and the parsed list.
_ANNOTATION = "sms_notifications_json"
_PARSED = "_sms_notifications"


class _MessagesOf(Func):
    """All the messages of the order whose id is the argument, as one JSON array of the
    columns the representation shows (not the message text or the worker's bookkeeping).

    A correlated subquery on the unique (order, kind) index. Written as one SQL template
    rather than built from ORM expressions: building and compiling those cost more than the
    rest of a page's query."""

    output_field = JSONField()

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        quote = connection.ops.quote_name
        # PostgreSQL: jsonb, which Django reads as text and parses like any JSONField.
        if connection.vendor == "postgresql":
            aggregate, build = "JSONB_AGG", "JSONB_BUILD_OBJECT"
        else:
            aggregate, build = "JSON_GROUP_ARRAY", "JSON_OBJECT"
        pairs = ", ".join(f"'{column}', sms_m.{quote(column)}" for column in _COLUMNS)
        table = quote(SmsNotification._meta.db_table)
        # Only quoted model and column names go in; the order's id is a compiled expression.
        template = f"(SELECT {aggregate}({build}({pairs})) FROM {table} sms_m "  # noqa: S608
        template += f"WHERE sms_m.{quote('order_id')} = %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def with_notifications(orders: QuerySet[Order]) -> QuerySet[Order]:
    """`orders`, each with all its messages in one JSON column, so a page of orders stays one
    query."""
    return orders.annotate(**{_ANNOTATION: _MessagesOf("pk")})


def _timestamp(value: str | datetime) -> datetime:
    # PostgreSQL writes ISO 8601 with an offset; SQLite its own UTC text without one.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary(row: dict[str, Any]) -> NotificationSummary:
    summary = cast(NotificationSummary, dict(row))
    summary["created_at"] = _timestamp(row["created_at"])
    summary["updated_at"] = _timestamp(row["updated_at"])
    return summary


def messages_of_order(order_id: str = "pk") -> Func:
    """The JSON array `with_notifications` annotates, for a `.values()` query of orders."""
    return _MessagesOf(order_id)


def _age(summary: NotificationSummary) -> tuple[datetime, int]:
    return summary["created_at"], summary["id"]


def oldest_first(messages: Iterable[dict[str, Any]] | None) -> list[NotificationSummary]:
    """An order's messages from its JSON array (`with_notifications`, `messages_of_order`),
    timestamps read, oldest first."""
    return sorted(map(_summary, messages or ()), key=_age)


def newest_of(messages: list[dict[str, Any]] | None) -> NotificationSummary | None:
    """The newest message of an order's JSON array (`messages_of_order`), or None."""
    return max(map(_summary, messages or ()), key=_age, default=None)


def notifications_of(order: Order) -> list[NotificationSummary]:
    """Every message of the order, oldest first: from the order's query when it came
    through `with_notifications` (as `orders.selectors.order_list()` does), else one query."""
    parsed: list[NotificationSummary] | None = getattr(order, _PARSED, None)
    if parsed is not None:
        return parsed
    if hasattr(order, _ANNOTATION):
        rows = getattr(order, _ANNOTATION) or []
    else:
        rows = list(SmsNotification.objects.filter(order_id=order.pk).values(*_COLUMNS))
    parsed = oldest_first(rows)
    setattr(order, _PARSED, parsed)
    return parsed


def summary_of(notification: SmsNotification) -> NotificationSummary:
    return cast(NotificationSummary, {column: getattr(notification, column) for column in _COLUMNS})


def remember_notifications(order: Order, notifications: list[SmsNotification]) -> None:
    """Tell `order` which messages it has (the service that just queued them knows), so that
    its representation costs no query."""
    setattr(order, _PARSED, [summary_of(n) for n in notifications])


def notification_of(order: Order, kind: str) -> NotificationSummary | None:
    return next((n for n in notifications_of(order) if n["kind"] == kind), None)


def order_received_sms(order: Order) -> NotificationSummary | None:
    """The order's first message, which the API has always shown as its `sms`."""
    return notification_of(order, SmsKind.ORDER_RECEIVED)


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    kind: str
    old: str | None
    new: str
    note: str
    by: User | None


def order_sms_history(*, order: Order) -> list[StatusChange]:
    """The status changes of the order's messages, oldest first, each with the status it
    replaced; each message starts `queued` when it is created."""
    messages = SmsNotification.objects.filter(order_id=order.pk).only("id", "kind", "created_at")
    kinds = {m.pk: m.kind for m in messages}
    events: list[tuple[datetime, str, str, str, User | None]] = [
        (m.created_at, m.kind, SmsStatus.QUEUED, "", None) for m in messages
    ]
    changes = (
        SmsStatusChange.objects.filter(notification__order_id=order.pk)
        .select_related("changed_by__identity")
        .order_by("at", "id")
    )
    events += [(c.at, kinds[c.notification_id], c.status, c.note, c.changed_by) for c in changes]
    # Stable: a message created in the same instant as a change of it comes first.
    events.sort(key=lambda event: event[0])
    previous: dict[str, str] = {}
    history: list[StatusChange] = []
    for at, kind, status, note, by in events:
        history.append(
            StatusChange(at=at, kind=kind, old=previous.get(kind), new=status, note=note, by=by)
        )
        previous[kind] = status
    return history


# --- Reads for the FHIR facade ---

# What a Communication shows. The phone number is not among them: a Communication names its
# recipient as the Patient.
_COMMUNICATION_COLUMNS = (
    "id",
    "order_id",
    "kind",
    "message",
    "status",
    "last_error",
    "created_at",
    "updated_at",
    "sent_at",
    "delivered_at",
    "order__id",
    "order__customer_id",
    "order__customer__id",
    "order__customer__code",
)


def notification_list() -> QuerySet[SmsNotification]:
    """Messages with the order and customer their references need: one query a page."""
    return SmsNotification.objects.select_related("order__customer").only(*_COMMUNICATION_COLUMNS)


def notification_pk_in(pks: Collection[int]) -> Q:
    return Q(pk__in=pks)


def notification_order_in(order_pks: Collection[int]) -> Q:
    return Q(order_id__in=order_pks)


def notification_customer_code_is(code: str) -> Q:
    """Messages to the customer whose code is exactly `code`."""
    return Q(order__customer__in=customers_with_exact_code(code))


def notification_status_in(statuses: Collection[str]) -> Q:
    return Q(status__in=statuses)


def notification_kind_in(kinds: Collection[str]) -> Q:
    return Q(kind__in=kinds)


def notification_page(*, where: Q, after_pk: int | None, limit: int) -> list[SmsNotification]:
    """Up to `limit` messages matching `where`, newest first by id, after the message
    `after_pk`: keyset paging on the primary key. One query."""
    notifications = notification_list().filter(where)
    if after_pk is not None:
        notifications = notifications.filter(pk__lt=after_pk)
    return list(notifications.order_by("-pk")[:limit])


def notification_get(pk: int) -> SmsNotification | None:
    return notification_list().filter(pk=pk).first()


@dataclass(frozen=True)
class OutboxState:
    """What the metrics say of the outbox: the messages still to send, by status and kind,
    and how long the oldest has waited. Only rows still to do are read (the partial index on
    them), so this stays cheap however many sent messages the table holds."""

    depth: dict[tuple[str, str], int]
    # Seconds since the most overdue message was due (0: none due): the worker's lag.
    oldest_due_age: float
    # Seconds since the oldest message still to send was queued (0: none): the patient's wait,
    # retries included.
    oldest_waiting_age: float


def outbox_state(*, now: datetime) -> OutboxState:
    to_do = SmsNotification.objects.filter(status__in=TO_DO).order_by()
    depth = {(status, kind): 0 for status in TO_DO for kind in SmsKind.values} | {
        (row["status"], row["kind"]): row["n"]
        for row in to_do.values("status", "kind").annotate(n=Count("id"))
    }
    oldest = to_do.aggregate(
        due=Min("next_attempt_at", filter=Q(next_attempt_at__lte=now)), queued=Min("created_at")
    )
    return OutboxState(
        depth=depth,
        oldest_due_age=(now - oldest["due"]).total_seconds() if oldest["due"] else 0.0,
        oldest_waiting_age=max((now - oldest["queued"]).total_seconds(), 0.0)
        if oldest["queued"]
        else 0.0,
    )
