"""The front desk's pages and actions.

Each view: permission first (`desk.access.requires`), then a selector or one service call,
then a redirect (post/redirect/get), a page or an htmx partial. Input is checked by the API's
own serializers, so every rule is written once and its errors read here as they do in the API.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic, sleep
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.exceptions import DomainError
from customers.api import CustomerSerializer
from customers.models import Customer, SmsOptOutSource
from customers.selectors import customer_get_by_code, customers_found
from customers.services import customer_create, customer_set_sms_opt_out, customer_update
from desk.access import desk_access, forbidden, login_redirect, requires
from desk.forms import CUSTOMER_FIELDS, ORDER_FIELDS, OrderFilterForm, bound_fields, filter_inputs
from desk.rows import badge_html, rows_html, sms_badge
from idempotency.services import (
    KeyInFlight,
    KeyReusedWithAnotherRequest,
    Replay,
    claim_key,
    complete_key,
    fingerprint,
    release_key,
)
from notifications.api import ResendSerializer
from notifications.models import TO_DO
from notifications.selectors import notifications_of
from notifications.services import resend_notification
from orders.api import OrderSerializer, OrderUpdateSerializer
from orders.models import Order, OrderStatus
from orders.selectors import (
    order_created_between,
    order_customer_code_matches,
    order_customer_is,
    order_get,
    order_history,
    order_row_page,
    order_status_in,
)
from orders.services import order_update, place_order

PAGE_SIZE = 50
SEARCH_LIMIT = 50
# How long a second submission of an order form waits for the first to be placed.
IN_FLIGHT_WAIT_SECONDS = 5.0
TYPE_AHEAD_LIMIT = 10
# The idempotency keys the desk puts in its order forms (uuid4().hex).
_FORM_KEY = re.compile(r"^[0-9a-f]{32}\Z")
_cursor_signer = signing.Signer(salt="desk.orders.after")


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context = {
        "desk": desk_access(request),
        "refresh_seconds": settings.DESK_SMS_REFRESH_SECONDS,
        **context,
    }
    return render(request, template, context, status=status)


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "desk/not_found.html", {}, status=404)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _errors(detail: Any) -> dict[str, list[str]]:
    """A serializer's errors as {field: [message, ...]}, in the API's words."""
    if not isinstance(detail, dict):
        return {"__all__": [str(message) for message in detail]}
    return {
        str(field): [str(p) for p in (problems if isinstance(problems, list) else [problems])]
        for field, problems in detail.items()
    }


def _form_errors(fields: tuple[Any, ...], errors: dict[str, list[str]]) -> list[str]:
    """The errors that belong to no field of the form, shown above it."""
    names = {field.name for field in fields}
    return [problem for name, found in errors.items() if name not in names for problem in found]


def _domain_errors(exc: DomainError) -> dict[str, list[str]]:
    return {exc.field or "__all__": [exc.message]}


# --- Home ---


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return login_redirect(request)
    access = desk_access(request)
    if access.read_patients:
        return redirect("desk:patients")
    if access.read_orders:
        return redirect("desk:orders")
    return forbidden(request, "customers:read")


# --- Patients ---


@require_GET
@requires("customers")
def patients(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    results = customers_found(query, limit=SEARCH_LIMIT)
    context = {"query": query, "patients": results, "limit": SEARCH_LIMIT}
    if _is_htmx(request):
        return _page(request, "desk/_patient_results.html", context)
    return _page(request, "desk/patients.html", context)


@require_GET
@requires("customers")
def patient_options(request: HttpRequest) -> HttpResponse:
    """The place-order form's type-ahead: <option>s for the patient field's <datalist>."""
    query = request.GET.get("customer_code", "")[:200]
    results = customers_found(query, limit=TYPE_AHEAD_LIMIT)
    return _page(request, "desk/_patient_options.html", {"patients": results})


def _customer_form(
    request: HttpRequest,
    *,
    customer: Customer | None,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    context = {
        "customer": customer,
        "fields": bound_fields(CUSTOMER_FIELDS, values, errors),
        "form_errors": _form_errors(CUSTOMER_FIELDS, errors),
    }
    return _page(request, "desk/patient_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires("customers", method="POST")
def patient_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        values = {"preferred_language": "en"}
        return _customer_form(request, customer=None, values=values, errors={})
    values = {field.name: request.POST.get(field.name, "") for field in CUSTOMER_FIELDS}
    serializer = CustomerSerializer(data=values)
    if serializer.is_valid():
        try:
            customer = customer_create(**serializer.validated_data)
        except DomainError as exc:
            errors = _domain_errors(exc)
        else:
            messages.success(request, _("Patient %(code)s registered.") % {"code": customer.code})
            return redirect("desk:patient", code=customer.code)
    else:
        errors = _errors(serializer.errors)
    return _customer_form(request, customer=None, values=values, errors=errors, status=400)


@require_GET
@requires("customers")
def patient(request: HttpRequest, code: str) -> HttpResponse:
    customer = customer_get_by_code(code)
    if customer is None:
        return _not_found(request)
    orders: list[dict[str, Any]] = []
    if desk_access(request).read_orders:
        orders = order_row_page(where=order_customer_is(customer), after=None, limit=PAGE_SIZE)
    return _page(
        request,
        "desk/patient.html",
        {
            "customer": customer,
            "rows": rows_html(
                orders,
                hide_patient=True,
                refresh_seconds=settings.DESK_SMS_REFRESH_SECONDS,
            ),
            "more_orders": len(orders) == PAGE_SIZE,
        },
    )


@require_http_methods(["GET", "POST"])
@requires("customers", method="POST")
def patient_edit(request: HttpRequest, code: str) -> HttpResponse:
    customer = customer_get_by_code(code)
    if customer is None:
        return _not_found(request)
    if request.method != "POST":
        values = {field.name: getattr(customer, field.name) for field in CUSTOMER_FIELDS}
        return _customer_form(request, customer=customer, values=values, errors={})
    values = {field.name: request.POST.get(field.name, "") for field in CUSTOMER_FIELDS}
    serializer = CustomerSerializer(instance=customer, data=values)
    if serializer.is_valid():
        try:
            customer = customer_update(customer=customer, **serializer.validated_data)
        except DomainError as exc:
            errors = _domain_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("desk:patient", code=customer.code)
    else:
        errors = _errors(serializer.errors)
    return _customer_form(request, customer=customer, values=values, errors=errors, status=400)


@require_POST
@requires("customers")
def patient_sms_opt_out(request: HttpRequest, code: str) -> HttpResponse:
    customer = customer_get_by_code(code)
    if customer is None:
        return _not_found(request)
    opt_out = request.POST.get("opt_out")
    if opt_out not in ("on", "off"):
        messages.error(request, _("Choose whether the patient gets SMS."))
    else:
        customer_set_sms_opt_out(
            customer=customer, opt_out=opt_out == "on", source=SmsOptOutSource.STAFF
        )
        if opt_out == "on":
            messages.success(request, _("This patient will get no more SMS."))
        else:
            messages.success(request, _("This patient will get SMS again."))
    return redirect("desk:patient", code=customer.code)


# --- Orders ---


def _encode_after(order: dict[str, Any]) -> str:
    return _cursor_signer.sign(f"{order['created_at'].isoformat()}|{order['id']}")


def _decode_after(token: str) -> tuple[datetime, int] | None:
    """The position a signed `after` names; None for one we did not sign."""
    try:
        moment, _sep, pk = _cursor_signer.unsign(token).partition("|")
        return datetime.fromisoformat(moment), int(pk)
    except (signing.BadSignature, ValueError):
        return None


def _start_of(day: date) -> datetime | None:
    """Midnight UTC at the start of `day`; None past the last day there is."""
    try:
        return datetime.combine(day, time.min, tzinfo=UTC)
    except OverflowError:
        return None


@require_GET
@requires("orders")
def orders(request: HttpRequest) -> HttpResponse:
    filters = OrderFilterForm(request.GET)
    if not filters.is_valid():
        return _page(
            request,
            "desk/orders.html",
            {"filters": filters, "filter_inputs": filter_inputs(filters), "rows": []},
            status=400,
        )
    after = None
    if request.GET.get("after"):
        after = _decode_after(request.GET["after"])
        if after is None:
            return _not_found(request)
    data = filters.cleaned_data
    where = Q()
    if data["status"]:
        where &= order_status_in([data["status"]])
    if data["patient"]:
        where &= order_customer_code_matches(data["patient"])
    start = _start_of(data["created_from"]) if data["created_from"] else None
    end = None
    if data["created_to"] and data["created_to"] < date.max:
        end = _start_of(data["created_to"] + timedelta(days=1))
    if start or end:
        where &= order_created_between(start, end)
    page = order_row_page(where=where, after=after, limit=PAGE_SIZE + 1)
    more, page = len(page) > PAGE_SIZE, page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("after", None)
    first_query = query.urlencode()
    next_query = ""
    if more:
        query["after"] = _encode_after(page[-1])
        next_query = query.urlencode()
    return _page(
        request,
        "desk/orders.html",
        {
            "filters": filters,
            "filter_inputs": filter_inputs(filters),
            "rows": rows_html(
                page,
                hide_patient=False,
                refresh_seconds=settings.DESK_SMS_REFRESH_SECONDS,
            ),
            "first_query": first_query,
            "next_query": next_query,
            "paged": after is not None,
        },
    )


def _order_form(
    request: HttpRequest,
    *,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    context = {
        "fields": bound_fields(ORDER_FIELDS, values, errors),
        "form_errors": _form_errors(ORDER_FIELDS, errors),
        # A new key for every form rendered: submitting this form twice places one order.
        "idempotency_key": uuid.uuid4().hex if status == 200 else values["idempotency_key"],
    }
    return _page(request, "desk/order_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@requires("orders", method="POST")
def order_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        values = {"customer_code": request.GET.get("patient", "")[:32]}
        return _order_form(request, values=values, errors={})
    values = {field.name: request.POST.get(field.name, "") for field in ORDER_FIELDS}
    values["idempotency_key"] = key = request.POST.get("idempotency_key", "")
    if not _FORM_KEY.match(key):
        values["idempotency_key"] = uuid.uuid4().hex
        problem = _("This form has expired; check the order and place it again.")
        return _order_form(request, values=values, errors={"__all__": [problem]}, status=400)
    serializer = OrderSerializer(data={f.name: values[f.name] for f in ORDER_FIELDS})
    if not serializer.is_valid():
        return _order_form(request, values=values, errors=_errors(serializer.errors), status=400)
    order_data = serializer.validated_data
    user = request.user
    assert isinstance(user, User)
    request_print = fingerprint(
        "desk.orders.create",
        {
            "customer": order_data["customer"].pk,
            "item": order_data["item"],
            "amount": str(order_data["amount"]),
            "physician_name": order_data["physician_name"],
        },
    )
    # A double click sends the form twice, and the browser shows the second answer: while the
    # first is being placed, wait for it (briefly) so that answer is its order, not an error.
    deadline = monotonic() + IN_FLIGHT_WAIT_SECONDS
    while True:
        try:
            outcome = claim_key(user=user, key=key, fingerprint=request_print)
            break
        except KeyReusedWithAnotherRequest:
            problem = _("This form already placed an order. Open a new form to place another.")
            return _order_form(request, values=values, errors={"__all__": [problem]}, status=409)
        except KeyInFlight:
            if monotonic() >= deadline:
                problem = _(
                    "This order is still being placed. Wait a moment, then look at the orders."
                )
                return _order_form(
                    request, values=values, errors={"__all__": [problem]}, status=409
                )
            sleep(0.05)
    if isinstance(outcome, Replay):
        messages.info(request, _("This order was already placed; here it is."))
        return redirect("desk:order", pk=outcome.body["id"])
    try:
        with transaction.atomic():
            order = place_order(**order_data, created_by=user)
            complete_key(claim=outcome, status=201, body={"id": order.pk})
    except BaseException as exc:
        release_key(claim=outcome)
        if isinstance(exc, DomainError):
            return _order_form(request, values=values, errors=_domain_errors(exc), status=400)
        raise
    messages.success(request, _("Order placed."))
    return redirect("desk:order", pk=order.pk)


def _order_sms_context(order: Order) -> dict[str, Any]:
    notifications = notifications_of(order)
    return {
        "order": order,
        "notifications": notifications,
        "sms_in_flight": any(n["status"] in TO_DO for n in notifications),
    }


@require_GET
@requires("orders")
def order(request: HttpRequest, pk: int) -> HttpResponse:
    found = order_get(pk)
    if found is None:
        return _not_found(request)
    return _page(
        request,
        "desk/order.html",
        {
            **_order_sms_context(found),
            "history": order_history(order=found),
            "placed": found.status == OrderStatus.PLACED,
        },
    )


@require_GET
@requires("orders")
def order_sms(request: HttpRequest, pk: int) -> HttpResponse:
    """The order's SMS, alone: what htmx fetches again while a message is on its way. The
    orders list's badges ask for `?badge=1`, the newest message's badge."""
    found = order_get(pk)
    if found is None:
        return _not_found(request)
    if request.GET.get("badge"):
        badge = sms_badge(found)
        return HttpResponse(badge_html(badge, refresh_seconds=settings.DESK_SMS_REFRESH_SECONDS))
    return _page(request, "desk/_order_sms.html", _order_sms_context(found))


@require_GET
@requires("orders", method="POST")
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks before cancelling: a page of its own, so it works without JavaScript."""
    found = order_get(pk)
    if found is None:
        return _not_found(request)
    return _page(request, "desk/order_cancel.html", {"order": found})


def _flash_errors(request: HttpRequest, errors: Any) -> None:
    """A serializer's errors, in the API's words, as messages on the page redirected to."""
    for problems in _errors(errors).values():
        for problem in problems:
            messages.error(request, problem)


@require_POST
@requires("orders")
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    found = order_get(pk)
    if found is None:
        return _not_found(request)
    changes = OrderUpdateSerializer(data={"status": request.POST.get("status", "")})
    if not changes.is_valid():
        _flash_errors(request, changes.errors)
        return redirect("desk:order", pk=found.pk)
    try:
        updated = order_update(order=found, status=changes.validated_data["status"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if updated.status == OrderStatus.FULFILLED:
            messages.success(request, _("Order fulfilled."))
        elif updated.status == OrderStatus.CANCELLED:
            messages.success(request, _("Order cancelled."))
    return redirect("desk:order", pk=found.pk)


@require_POST
@requires("orders")
def order_sms_resend(request: HttpRequest, pk: int) -> HttpResponse:
    found = order_get(pk)
    if found is None:
        return _not_found(request)
    choice = ResendSerializer(data={"kind": request.POST.get("kind", "")})
    if not choice.is_valid():
        _flash_errors(request, choice.errors)
        return redirect("desk:order", pk=found.pk)
    try:
        resend_notification(order=found, kind=choice.validated_data["kind"], by=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The SMS will be sent again."))
    return redirect("desk:order", pk=found.pk)
