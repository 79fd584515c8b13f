"""FHIR search: parameters in, selector calls out, a searchset Bundle back.

Each resource type lists its parameters; each parameter turns one value into a criterion (a
`Q` from the owning app's selectors, opaque here). Values of one parameter separated by commas
are alternatives (OR); a repeated parameter narrows further (AND), so `ge` and `le` on one
date make a range. Pages are keyset pages behind an opaque, signed cursor: a page deep in the
results costs what the first does, pages do not shift while rows are added, and a cursor we
did not issue is a 400.

Everything a caller sends is checked before it reaches a query: ASCII digits only in numbers
and ids, no control characters, bounded lengths; anything else is a 400 OperationOutcome.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import reduce
from operator import and_, or_
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db.models import Q
from rest_framework import exceptions

from customers.phone import InvalidPhoneNumber, normalize_mobile_number
from customers.selectors import (
    customer_audited_between,
    customer_code_is,
    customer_code_matches,
    customer_email_is,
    customer_insurance_number_is,
    customer_name_contains,
    customer_page,
    customer_phone_is,
    customer_pk_in,
)
from fhir.protocol import check_format, check_pretty
from fhir.resources import (
    COMMUNICATION_STATUS,
    MEDICATION_REQUEST_STATUS,
    SMS_KIND_SYSTEM_PATH,
    SMS_KINDS,
    Entry,
    Version,
    communication_resource,
    customer_code,
    medication_dispense_resource,
    medication_request_resource,
    numeric_id,
    operation_outcome,
    patient_resource,
    searchset,
)
from identity.permissions import InsufficientScope
from identity.scopes import FHIR_READ_SCOPES
from notifications.selectors import (
    notification_customer_code_is,
    notification_kind_in,
    notification_order_in,
    notification_page,
    notification_pk_in,
    notification_status_in,
)
from orders.selectors import (
    AuditedOrder,
    fulfilled_order_page,
    order_audited_between,
    order_created_between,
    order_customer_code_is,
    order_fulfilled_between,
    order_page,
    order_pk_in,
    order_status_in,
)

DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_VALUE_LENGTH = 256
MAX_PARAMETERS = 40
CURSOR_PARAMETER = "_cursor"
# Parameters of the response's form, not of the search (fhir.protocol).
FORMAT_PARAMETERS = frozenset({"_format", "_pretty"})

_CURSOR_SALT = "fhir.search.cursor"
NOTHING = Q(pk__in=[])

MEDICATION_REQUEST_STATUS_SYSTEM = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
MEDICATION_DISPENSE_STATUS_SYSTEM = (
    "http://terminology.hl7.org/CodeSystem/medicationdispense-status"
)
EVENT_STATUS_SYSTEM = "http://hl7.org/fhir/event-status"

# The whole value sets (required bindings): a code outside them is a 400, a code inside that
# none of our rows can have simply matches nothing.
_MEDICATION_REQUEST_STATUSES = frozenset(
    {
        "active",
        "on-hold",
        "cancelled",
        "completed",
        "entered-in-error",
        "stopped",
        "draft",
        "unknown",
    }
)
_MEDICATION_DISPENSE_STATUSES = frozenset(
    {
        "preparation",
        "in-progress",
        "cancelled",
        "on-hold",
        "completed",
        "entered-in-error",
        "stopped",
        "declined",
        "unknown",
    }
)
_EVENT_STATUSES = frozenset(
    {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    }
)


class SearchError(exceptions.ParseError):
    """A search the server cannot run as asked: 400 with an OperationOutcome."""


# --- Values -----------------------------------------------------------------------------------


def checked(name: str, value: str) -> str:
    """A parameter value fit to reach a query: bounded, and free of control characters, lone
    surrogates and the replacement character that stands for bytes that were not UTF-8."""
    if len(value) > MAX_VALUE_LENGTH:
        raise SearchError(f"The value of {name} is longer than {MAX_VALUE_LENGTH} characters.")
    if not value.isprintable() and any(
        ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) < 0xE000 for c in value
    ):
        raise SearchError(f"The value of {name} holds control characters.")
    if "\ufffd" in value:
        raise SearchError(f"The value of {name} is not valid UTF-8.")
    return value


_ESCAPED = re.compile(r"\\(.)")


def alternatives(value: str) -> list[str]:
    """The comma-separated alternatives of one value, with FHIR's escapes (`\\,` `\\|` `\\$`
    `\\\\`) kept for `split_token` and undone by `unescape`."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return _ESCAPED.sub(r"\1", value)


def split_token(value: str) -> tuple[str | None, str]:
    """`system|code` -> (system, code); `|code` -> ("", code); `code` -> (None, code)."""
    index = 0
    while index < len(value):
        if value[index] == "\\":
            index += 2
            continue
        if value[index] == "|":
            return unescape(value[:index]), unescape(value[index + 1 :])
        index += 1
    return None, unescape(value)


_DATE = re.compile(
    r"(?P<prefix>[a-z]{2})?(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?\Z",
    re.ASCII,
)
_PREFIXES = frozenset({"eq", "ge", "gt", "le", "lt"})
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def date_bounds(name: str, value: str) -> tuple[datetime | None, datetime | None]:
    """A date search value (`ge2026-05-01`, `lt2026-05-01T10:00:00+03:00`, ...) as a half-open
    interval [start, end) of UTC instants, either side open when None.

    The value names a range as long as its precision (a day, a second, ...); `eq` is that
    range, `ge` everything from its start, `gt` everything from its end, `le` everything
    before its end, `lt` everything before its start. No time zone means UTC."""
    match = _DATE.match(value)
    if match is None:
        raise SearchError(
            f"{name}: '{value}' is not a FHIR date, such as 2026-05-01, "
            "ge2026-05-01T10:00:00Z or lt2026-05."
        )
    prefix = match["prefix"] or "eq"
    if prefix not in _PREFIXES:
        raise SearchError(
            f"{name}: the prefix '{prefix}' is not supported; use eq, ge, gt, le or lt."
        )
    parts = match.groupdict()
    zone = parts["zone"]
    if parts["hour"] is not None and zone is None:
        zone = "Z"
    try:
        tz = UTC if zone in (None, "Z") else _offset(zone)
        start = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
        end = _end_of_precision(start, parts)
        start = start.astimezone(UTC)
        end = end.astimezone(UTC) if end is not None else None
    except (ValueError, OverflowError):
        raise SearchError(
            f"{name}: '{value}' is not a date between the years 1 and 9999."
        ) from None
    if prefix == "eq":
        return start, end
    if prefix == "ge":
        return start, None
    if prefix == "gt":
        return (end, None) if end is not None else (_END_OF_TIME, _END_OF_TIME)
    if prefix == "le":
        return None, end
    return None, start


def _offset(zone: str) -> timezone:
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if minutes > 59 or hours * 60 + minutes > 14 * 60:
        raise ValueError(zone)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if zone[0] == "-" else delta)


def _end_of_precision(start: datetime, parts: dict[str, str | None]) -> datetime | None:
    """The first instant after the range `start` names; None past the year 9999."""
    try:
        if parts["month"] is None:
            return start.replace(year=start.year + 1)
        if parts["day"] is None:
            if start.month == 12:
                return start.replace(year=start.year + 1, month=1)
            return start.replace(month=start.month + 1)
        if parts["hour"] is None:
            return start + timedelta(days=1)
        if parts["second"] is None:
            return start + timedelta(minutes=1)
        if parts["fraction"] is None:
            return start + timedelta(seconds=1)
        return start + timedelta(microseconds=10 ** (6 - min(len(parts["fraction"]), 6)))
    except (ValueError, OverflowError):
        return None


def date_criterion(
    between: Callable[[datetime | None, datetime | None], Q],
) -> Callable[[str, str], Q]:
    def criterion(name: str, value: str) -> Q:
        start, end = date_bounds(name, value)
        if start is not None and end is not None and start >= end:
            return NOTHING
        return between(start, end)

    return criterion


def _fhir_id(name: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,64}", value, re.ASCII):
        raise SearchError(f"{name}: '{value}' is not a FHIR id.")
    return value


def _code_of(name: str, value: str) -> str:
    code = customer_code(_fhir_id(name, value))
    if code is None:  # pragma: no cover - every FHIR id converts
        raise SearchError(f"{name}: '{value}' is not a Patient id.")
    return code


def _row_id(name: str, value: str) -> int:
    row = numeric_id(_fhir_id(name, value))
    if row is None:
        raise SearchError(f"{name}: '{value}' is not an id of this server (a whole number).")
    return row


def reference_id(name: str, value: str, resource_type: str, base: str) -> str:
    """The id of a reference value: `Type/id`, `{base}/Type/id` or a bare `id`."""
    value = unescape(value)
    for prefix in (f"{base}/{resource_type}/", f"{resource_type}/"):
        if value.startswith(prefix):
            return _fhir_id(name, value.removeprefix(prefix))
    if "/" in value:
        raise SearchError(f"{name}: '{value}' is not a reference to a {resource_type}.")
    return _fhir_id(name, value)


# --- Parameters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    base: str


@dataclass(frozen=True)
class Parameter:
    """One search parameter: its FHIR type and description (for the CapabilityStatement), the
    standard SearchParameter it implements, and how one value becomes a criterion."""

    type: str
    documentation: str
    definition: str | None  # None: a parameter of ours, not one the specification defines
    criterion: Callable[[str, str, Context], Q]
    modifiers: frozenset[str] = frozenset()


def _status_criterion(
    codes: frozenset[str], system: str, ours: dict[str, list[str]], pick: Callable[[list[str]], Q]
) -> Callable[[str, str, Context], Q]:
    def criterion(name: str, value: str, context: Context) -> Q:
        value_system, code = split_token(value)
        if code not in codes:
            raise SearchError(f"{name}: '{code}' is not a code of {system}.")
        if value_system not in (None, system):
            return NOTHING
        statuses = ours.get(code, [])
        return pick(statuses) if statuses else NOTHING

    return criterion


def _inverse(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    inverse: dict[str, list[str]] = {}
    for ours, theirs in mapping.items():
        inverse.setdefault(theirs, []).append(ours)
    return inverse


def _identifier(name: str, value: str, context: Context) -> Q:
    system, code = split_token(value)
    patient_system = settings.FHIR_PATIENT_IDENTIFIER_SYSTEM
    insurance_system = settings.FHIR_INSURANCE_IDENTIFIER_SYSTEM
    if system is None:
        if not code:
            raise SearchError(f"{name}: give a value, system|value or |value.")
        return customer_code_matches(code) | customer_insurance_number_is(code)
    if system == patient_system:
        return customer_code_matches(code) if code else Q()
    if system == insurance_system:
        return customer_insurance_number_is(code) if code else ~customer_insurance_number_is("")
    # No identifier of ours is without a system, and no other system is ours.
    return NOTHING


def _telecom(name: str, value: str, context: Context) -> Q:
    system, code = split_token(value)
    if not code:
        raise SearchError(f"{name}: give a phone number or an email address.")
    if system not in (None, "phone", "email"):
        return NOTHING
    if system == "phone" and not code.isascii():
        raise SearchError(f"{name}: a phone number is written with ASCII digits.")
    found = NOTHING
    if system in (None, "phone") and code.isascii():
        with contextlib.suppress(InvalidPhoneNumber):
            found |= customer_phone_is(normalize_mobile_number(code))
    if system in (None, "email"):
        found |= customer_email_is(code)
    return found


def _category(name: str, value: str, context: Context) -> Q:
    """A kind of message: `code` or `{base}/CodeSystem/sms-kind|code`. The code system is
    ours, so a code it lacks is a 400 (as a status outside its value set is); a code of
    another system, or of none (`|code`), is no category of ours and matches nothing."""
    system, code = split_token(value)
    if system is not None and system != f"{context.base}/{SMS_KIND_SYSTEM_PATH}":
        return NOTHING
    if code not in SMS_KINDS:
        raise SearchError(
            f"{name}: '{code}' is not a kind of message; use one of {', '.join(SMS_KINDS)}."
        )
    return notification_kind_in([code])


def _name(name: str, value: str, context: Context) -> Q:
    value = unescape(value)
    if not value:
        raise SearchError(f"{name}: give some text to look for.")
    return customer_name_contains(value)


def _patient_reference(
    criterion: Callable[[str], Q],
) -> Callable[[str, str, Context], Q]:
    def reference(name: str, value: str, context: Context) -> Q:
        return criterion(_code_of(name, reference_id(name, value, "Patient", context.base)))

    return reference


def _order_reference(
    criterion: Callable[[list[int]], Q],
) -> Callable[[str, str, Context], Q]:
    def reference(name: str, value: str, context: Context) -> Q:
        return criterion(
            [_row_id(name, reference_id(name, value, "MedicationRequest", context.base))]
        )

    return reference


def _ids(criterion: Callable[[list[int]], Q]) -> Callable[[str, str, Context], Q]:
    return lambda name, value, context: criterion([_row_id(name, unescape(value))])


def _dates(
    between: Callable[[datetime | None, datetime | None], Q],
) -> Callable[[str, str, Context], Q]:
    parse = date_criterion(between)
    return lambda name, value, context: parse(name, value)


_SP = "http://hl7.org/fhir/SearchParameter/"
_LAST_UPDATED = "_lastUpdated"


def _last_updated(between: Callable[[datetime | None, datetime | None], Q]) -> Parameter:
    return Parameter(
        "date",
        "When the audit trail last recorded a change (eq, ge, gt, le, lt).",
        f"{_SP}Resource-lastUpdated",
        _dates(between),
    )


def _id_parameter(criterion: Callable[[str, str, Context], Q]) -> Parameter:
    return Parameter(
        "token", "The logical id; several, comma-separated.", f"{_SP}Resource-id", criterion
    )


PATIENT_PARAMETERS: dict[str, Parameter] = {
    "_id": _id_parameter(
        lambda name, value, context: customer_code_is(_code_of(name, unescape(value)))
    ),
    "identifier": Parameter(
        "token",
        "The customer code (any case) or insurance number: system|value, |value or value.",
        f"{_SP}Patient-identifier",
        _identifier,
    ),
    "name": Parameter(
        "string",
        "Part of the name, in any case (contains, not starts-with).",
        f"{_SP}Patient-name",
        _name,
        frozenset({"contains"}),
    ),
    "telecom": Parameter(
        "token",
        "The mobile number (any format the REST API accepts) or email: [phone|email|]value.",
        f"{_SP}individual-telecom",
        _telecom,
    ),
    _LAST_UPDATED: _last_updated(customer_audited_between),
}

MEDICATION_REQUEST_PARAMETERS: dict[str, Parameter] = {
    "_id": _id_parameter(_ids(order_pk_in)),
    "patient": Parameter(
        "reference",
        "The Patient: Patient/{id} or {id}.",
        f"{_SP}clinical-patient",
        _patient_reference(order_customer_code_is),
    ),
    "subject": Parameter(
        "reference",
        "The Patient: Patient/{id} or {id}.",
        f"{_SP}MedicationRequest-subject",
        _patient_reference(order_customer_code_is),
    ),
    "status": Parameter(
        "token",
        "active (placed), completed (fulfilled) or cancelled.",
        f"{_SP}medications-status",
        _status_criterion(
            _MEDICATION_REQUEST_STATUSES,
            MEDICATION_REQUEST_STATUS_SYSTEM,
            _inverse(MEDICATION_REQUEST_STATUS),
            order_status_in,
        ),
    ),
    "authoredon": Parameter(
        "date",
        "When the order was placed (eq, ge, gt, le, lt).",
        f"{_SP}MedicationRequest-authoredon",
        _dates(order_created_between),
    ),
    _LAST_UPDATED: _last_updated(order_audited_between),
}

MEDICATION_DISPENSE_PARAMETERS: dict[str, Parameter] = {
    "_id": _id_parameter(_ids(order_pk_in)),
    "patient": Parameter(
        "reference",
        "The Patient: Patient/{id} or {id}.",
        f"{_SP}clinical-patient",
        _patient_reference(order_customer_code_is),
    ),
    "prescription": Parameter(
        "reference",
        "The MedicationRequest: MedicationRequest/{id} or {id}.",
        f"{_SP}MedicationDispense-prescription",
        _order_reference(order_pk_in),
    ),
    "status": Parameter(
        "token",
        "completed: every dispense here is.",
        f"{_SP}medications-status",
        _status_criterion(
            _MEDICATION_DISPENSE_STATUSES,
            MEDICATION_DISPENSE_STATUS_SYSTEM,
            {"completed": ["fulfilled"]},
            lambda statuses: Q(),
        ),
    ),
    "whenhandedover": Parameter(
        "date",
        "When the order was fulfilled, by the audit trail (eq, ge, gt, le, lt).",
        f"{_SP}MedicationDispense-whenhandedover",
        _dates(order_fulfilled_between),
    ),
}

COMMUNICATION_PARAMETERS: dict[str, Parameter] = {
    "_id": _id_parameter(_ids(notification_pk_in)),
    "patient": Parameter(
        "reference",
        "The Patient: Patient/{id} or {id}.",
        f"{_SP}Communication-patient",
        _patient_reference(notification_customer_code_is),
    ),
    "subject": Parameter(
        "reference",
        "The Patient: Patient/{id} or {id}.",
        f"{_SP}Communication-subject",
        _patient_reference(notification_customer_code_is),
    ),
    "about": Parameter(
        "reference",
        "The MedicationRequest: MedicationRequest/{id} or {id}.",
        None,
        _order_reference(notification_order_in),
    ),
    "status": Parameter(
        "token",
        "preparation (queued, sending), in-progress (sent), completed (delivered), "
        "not-done (failed, or suppressed because the patient opted out).",
        f"{_SP}Communication-status",
        _status_criterion(
            _EVENT_STATUSES,
            EVENT_STATUS_SYSTEM,
            _inverse(COMMUNICATION_STATUS),
            notification_status_in,
        ),
    ),
    "category": Parameter(
        "token",
        f"The kind of message, a code of {{base}}/{SMS_KIND_SYSTEM_PATH} (order_received, "
        "order_ready, order_cancelled): [system|]code.",
        f"{_SP}Communication-category",
        _category,
    ),
}

PARAMETERS: dict[str, dict[str, Parameter]] = {
    "Patient": PATIENT_PARAMETERS,
    "MedicationRequest": MEDICATION_REQUEST_PARAMETERS,
    "MedicationDispense": MEDICATION_DISPENSE_PARAMETERS,
    "Communication": COMMUNICATION_PARAMETERS,
}
INCLUDES: dict[str, tuple[str, ...]] = {"MedicationRequest": ("MedicationRequest:patient",)}


# --- Parsing ------------------------------------------------------------------------------------


@dataclass
class Query:
    resource_type: str
    where: Q = field(default_factory=Q)
    count: int = DEFAULT_COUNT
    after: list[Any] | None = None
    include_patients: bool = False
    # What the self link repeats: the parameters used, `_cursor` aside.
    used: list[tuple[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def parse(
    resource_type: str, items: Sequence[tuple[str, str]], *, base: str, lenient: bool
) -> Query:
    """The search that `items` (name, value pairs, in order) ask for. Unknown parameters are
    a 400 unless `lenient` (`Prefer: handling=lenient`), when they are ignored and listed."""
    if len(items) > MAX_PARAMETERS:
        raise SearchError(f"At most {MAX_PARAMETERS} search parameters.")
    parameters = PARAMETERS[resource_type]
    context = Context(base)
    query = Query(resource_type)
    conditions: list[Q] = []
    seen: set[str] = set()
    for raw_name, raw_value in items:
        name = checked("a parameter name", raw_name)
        value = checked(name, raw_value)
        plain, _, modifier = name.partition(":")
        if modifier and plain.startswith("_"):
            _unknown(query, name, f"The modifier :{modifier} is not supported on {plain}.", lenient)
            continue
        if plain in ("_count", CURSOR_PARAMETER):
            if plain in seen:
                raise SearchError(f"{plain} may be given only once.")
            seen.add(plain)
            if plain == "_count":
                query.count = _count(value)
                query.used.append((name, value))
            else:
                query.after = decode_cursor(resource_type, value)
            continue
        if plain in FORMAT_PARAMETERS:
            (check_format if plain == "_format" else check_pretty)(value)
            query.used.append((name, value))
            continue
        if plain == "_include":
            if value not in INCLUDES.get(resource_type, ()):
                _unknown(query, name, f"_include={value} is not supported here.", lenient)
                continue
            query.include_patients = True
            query.used.append((name, value))
            continue
        parameter = parameters.get(plain)
        if parameter is None:
            supported = ", ".join(
                sorted(
                    [*parameters, "_count", *(["_include"] if resource_type in INCLUDES else [])]
                )
            )
            _unknown(
                query,
                name,
                f"Unknown search parameter '{plain}' for {resource_type}. Supported: {supported}.",
                lenient,
            )
            continue
        if modifier and modifier not in parameter.modifiers:
            _unknown(query, name, f"The modifier :{modifier} is not supported on {plain}.", lenient)
            continue
        if not value:
            raise SearchError(f"{plain}: give a value.")
        conditions.append(
            reduce(
                or_,
                [
                    parameter.criterion(plain, alternative, context)
                    for alternative in alternatives(value)
                ],
            )
        )
        query.used.append((name, value))
    query.where = reduce(and_, conditions, Q())
    return query


def _unknown(query: Query, name: str, message: str, lenient: bool) -> None:
    if not lenient:
        raise SearchError(message)
    query.ignored.append(name)


def _count(value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,6}", value, re.ASCII) or int(value) < 1:
        raise SearchError(f"_count: give a whole number from 1 to {MAX_COUNT}.")
    return min(int(value), MAX_COUNT)


# --- Cursors ------------------------------------------------------------------------------------


def encode_cursor(resource_type: str, key: list[Any]) -> str:
    """An opaque cursor for the page after the row whose sort key is `key`, signed so nobody
    can make one up (or point one at another type's rows)."""
    return signing.dumps([resource_type, *key], salt=_CURSOR_SALT, compress=False)


def decode_cursor(resource_type: str, value: str) -> list[Any]:
    invalid = SearchError("_cursor: not a cursor this server gave; follow the Bundle's next link.")
    if len(value) > 200:
        raise invalid
    try:
        payload = signing.loads(value, salt=_CURSOR_SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise invalid from None
    if not isinstance(payload, list) or not payload or payload[0] != resource_type:
        raise invalid
    key = payload[1:]
    try:
        if resource_type in ("MedicationRequest", "MedicationDispense"):
            created_at, pk = key
            moment = datetime.fromisoformat(created_at)
            if moment.tzinfo is None or not isinstance(pk, int):
                raise ValueError
            return [moment, pk]
        (pk,) = key
        if not isinstance(pk, int):
            raise ValueError
        return [pk]
    except (TypeError, ValueError):
        raise invalid from None


# --- Running a search -------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_key: list[Any] | None


def _fetch(query: Query) -> Page:
    limit = query.count + 1
    rows: list[Any]
    if query.resource_type == "Patient":
        rows = customer_page(
            where=query.where, after_pk=query.after[0] if query.after else None, limit=limit
        )
    elif query.resource_type == "MedicationRequest":
        rows = order_page(where=query.where, after=_order_key(query.after), limit=limit)
    elif query.resource_type == "MedicationDispense":
        rows = fulfilled_order_page(where=query.where, after=_order_key(query.after), limit=limit)
    else:
        rows = notification_page(
            where=query.where, after_pk=query.after[0] if query.after else None, limit=limit
        )
    if len(rows) <= query.count:
        return Page(rows, None)
    rows = rows[: query.count]
    # A customer or SMS (model instances), or an order's row (a dict).
    last: Any = rows[-1]
    if query.resource_type in ("MedicationRequest", "MedicationDispense"):
        return Page(rows, [last["created_at"].isoformat(), last["id"]])
    return Page(rows, [last.pk])


def _order_key(after: list[Any] | None) -> tuple[datetime, int] | None:
    return (after[0], after[1]) if after else None


def audit_version(row: Any) -> Version:
    """The version the audit-trail annotations of a selector's customer describe."""
    return Version.of(row.audit_version, row.audit_at)


def order_version(row: AuditedOrder) -> Version:
    """The version an order's row names (`orders.selectors.AuditedOrder`)."""
    return Version.of(row["audit_version"], row["audit_at"])


def resource_of(
    resource_type: str, row: Any, *, base: str, include_payload: bool
) -> dict[str, Any]:
    if resource_type == "Patient":
        return patient_resource(row, version=audit_version(row))
    if resource_type == "MedicationRequest":
        return medication_request_resource(row, version=order_version(row), base=base)
    if resource_type == "MedicationDispense":
        return medication_dispense_resource(
            row, version=order_version(row), fulfilled_at=row["fulfilled_at"]
        )
    return communication_resource(row, include_payload=include_payload, base=base)


def search(
    resource_type: str,
    items: Sequence[tuple[str, str]],
    *,
    base: str,
    lenient: bool,
    readable: Collection[str],
) -> dict[str, Any]:
    """Run a search and return its searchset Bundle: one query for the page, one more for
    `_include`d Patients, whatever the page size or depth. `readable`: the resource types the
    caller may read; Communication texts need MedicationRequest (orders), included Patients
    need Patient."""
    query = parse(resource_type, items, base=base, lenient=lenient)
    if query.include_patients and "Patient" not in readable:
        raise InsufficientScope(f"{FHIR_READ_SCOPES['Patient']} system/Patient.rs")
    include_payload = "MedicationRequest" in readable
    page = _fetch(query)
    entries = [
        Entry(resource_of(resource_type, row, base=base, include_payload=include_payload), "match")
        for row in page.rows
    ]
    if query.include_patients and page.rows:
        customer_pks = sorted({row["customer_id"] for row in page.rows})
        patients = customer_page(
            where=customer_pk_in(customer_pks), after_pk=None, limit=len(customer_pks)
        )
        entries += [
            Entry(patient_resource(c, version=audit_version(c)), "include") for c in patients
        ]
    if query.ignored:
        entries.append(
            Entry(
                operation_outcome(
                    400,
                    "Ignored (Prefer: handling=lenient): " + ", ".join(query.ignored),
                    severity="warning",
                    code="not-supported",
                ),
                "outcome",
            )
        )
    url = f"{base}/{resource_type}"
    self_items = list(query.used)
    if query.after is not None:
        self_items.append((CURSOR_PARAMETER, _cursor_value(items)))
    next_url = None
    if page.next_key is not None:
        next_items = [*query.used, (CURSOR_PARAMETER, encode_cursor(resource_type, page.next_key))]
        next_url = f"{url}?{urlencode(next_items)}"
    # A total costs a COUNT over every match; it is free when this first page holds them all.
    total = len(page.rows) if query.after is None and page.next_key is None else None
    return searchset(
        base=base,
        entries=entries,
        self_url=f"{url}?{urlencode(self_items)}" if self_items else url,
        next_url=next_url,
        total=total,
    )


def _cursor_value(items: Iterable[tuple[str, str]]) -> str:
    return next(value for name, value in items if name == CURSOR_PARAMETER)
