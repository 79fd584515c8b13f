"""Searches over HTTP: each parameter, keyset pages behind signed cursors, _include, POST
_search, strict and lenient handling, hostile values, and the queries a page costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import SmsOptOutSource
from customers.selectors import customer_get_by_code
from customers.services import customer_create, customer_set_sms_opt_out
from notifications.backends import TransportError
from notifications.models import SmsKind, SmsNotification
from orders.models import Order
from orders.services import order_update, place_order
from tests.fhir.conftest import (
    BASE,
    assert_outcome,
    fhir_get,
    matches,
    next_link,
    work_outbox,
)

pytestmark = pytest.mark.django_db


def customer(code: str, n: int, **fields):
    values = {
        "code": code,
        "name": f"Patient {code}",
        "contact_number": f"+25471200{n:04d}",
        "email": f"{code.lower()}@example.com",
    }
    return customer_create(**(values | fields))


def order(customer, *, created_at: datetime | None = None, item: str = "Amoxicillin"):
    placed = place_order(
        customer=customer, item=item, amount=Decimal("50.00"), physician_name="Dr Otieno"
    )
    if created_at is not None:
        Order.objects.filter(pk=placed.pk).update(created_at=created_at)
        placed.refresh_from_db()
    return placed


def search(client, path: str, **params):
    response = fhir_get(client, path, data=params)
    assert response.status_code == 200, response.content
    bundle = response.json()
    assert bundle["type"] == "searchset"
    return bundle


def follow(client, bundle):
    """Every match over every page, following `next` links."""
    found = matches(bundle)
    while next_url := next_link(bundle):
        response = fhir_get(client, next_url)
        assert response.status_code == 200
        bundle = response.json()
        found += matches(bundle)
    return found


@pytest.fixture
def clinic():
    """Three patients; James has two orders (one fulfilled), Amina one (cancelled)."""
    james = customer("JB_007", 1, name="James Bond", insurance_number="SHA-77")
    amina = customer("AMINA", 2, name="Amina Njeri")
    customer("ZED", 3, name="Zed Otieno")
    t = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    first = order(james, created_at=t)
    second = order(james, created_at=t + timedelta(days=1))
    third = order(amina, created_at=t + timedelta(days=2))
    order_update(order=second, status="fulfilled")
    order_update(order=third, status="cancelled")
    return {"first": first, "second": second, "third": third}


# --- Patient ----------------------------------------------------------------------------------


def test_patient_search_without_parameters_lists_everyone_with_a_cheap_total(fhir_client, clinic):
    bundle = search(fhir_client, "Patient")
    assert matches(bundle) == ["Patient/JB.007", "Patient/AMINA", "Patient/ZED"]
    assert bundle["total"] == 3
    assert bundle["entry"][0]["fullUrl"] == f"{BASE}/Patient/JB.007"
    assert bundle["link"] == [{"relation": "self", "url": f"{BASE}/Patient"}]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"_id": "AMINA"}, ["Patient/AMINA"]),
        ({"_id": "AMINA,ZED"}, ["Patient/AMINA", "Patient/ZED"]),
        ({"_id": "amina"}, []),
        ({"identifier": "jb_007"}, ["Patient/JB.007"]),
        ({"identifier": "urn:patient-orders:customer-code|AMINA"}, ["Patient/AMINA"]),
        ({"identifier": "|AMINA"}, []),
        (
            {"identifier": "https://fhir.dha.go.ke/fhir/Identifier/sha-number|SHA-77"},
            ["Patient/JB.007"],
        ),
        ({"identifier": "https://fhir.dha.go.ke/fhir/Identifier/sha-number|"}, ["Patient/JB.007"]),
        ({"identifier": "SHA-77"}, ["Patient/JB.007"]),
        ({"identifier": "http://other.example|AMINA"}, []),
        ({"name": "njeri"}, ["Patient/AMINA"]),
        ({"name:contains": "OTIENO"}, ["Patient/ZED"]),
        ({"name": "bond,zed"}, ["Patient/JB.007", "Patient/ZED"]),
        ({"name": "100%"}, []),
        ({"telecom": "0712000002"}, ["Patient/AMINA"]),
        ({"telecom": "phone|+254712000003"}, ["Patient/ZED"]),
        ({"telecom": "email|AMINA@example.com"}, ["Patient/AMINA"]),
        ({"telecom": "email|+254712000003"}, []),
        ({"_lastUpdated": "ge2000-01-01"}, ["Patient/JB.007", "Patient/AMINA", "Patient/ZED"]),
        ({"_lastUpdated": "lt2000-01-01"}, []),
    ],
)
def test_patient_parameters(fhir_client, clinic, params, expected):
    assert matches(search(fhir_client, "Patient", **params)) == expected


def test_repeated_parameters_narrow_the_search(fhir_client, clinic):
    bundle = search(fhir_client, "Patient?name=o&name=zed")
    assert matches(bundle) == ["Patient/ZED"]


# --- MedicationRequest ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["third", "second", "first"]),
        ({"patient": "Patient/JB.007"}, ["second", "first"]),
        ({"patient": "JB.007"}, ["second", "first"]),
        ({"patient": f"{BASE}/Patient/AMINA"}, ["third"]),
        ({"subject": "Patient/AMINA"}, ["third"]),
        ({"patient": "Patient/jb.007"}, []),
        ({"status": "active"}, ["first"]),
        ({"status": "completed,cancelled"}, ["third", "second"]),
        ({"status": "http://hl7.org/fhir/CodeSystem/medicationrequest-status|active"}, ["first"]),
        ({"status": "draft"}, []),
        ({"authoredon": "2026-05-02"}, ["second"]),
        ({"authoredon": "ge2026-05-02"}, ["third", "second"]),
        ({"authoredon": "gt2026-05-02"}, ["third"]),
        ({"authoredon": "le2026-05-02"}, ["second", "first"]),
        ({"authoredon": "lt2026-05-02"}, ["first"]),
        ({"authoredon": "2026-05"}, ["third", "second", "first"]),
        ({"authoredon": "eq2026-05-01T08:00:00Z"}, ["first"]),
        ({"authoredon": "2026-05-01T11:00:00+03:00"}, ["first"]),
        ({"authoredon": "2026-05-01T11:00:00+03:00,2026-05-03"}, ["third", "first"]),
        ({"authoredon": "gt9999-12-31"}, []),
        ({"authoredon": "le9999"}, ["third", "second", "first"]),
        ({"_lastUpdated": "ge2000-01-01"}, ["third", "second", "first"]),
    ],
)
def test_medication_request_parameters(fhir_client, clinic, params, expected):
    bundle = search(fhir_client, "MedicationRequest", **params)
    assert matches(bundle) == [f"MedicationRequest/{clinic[name].pk}" for name in expected]


def test_authoredon_range_from_two_parameters(fhir_client, clinic):
    bundle = search(
        fhir_client, "MedicationRequest?authoredon=ge2026-05-02&authoredon=lt2026-05-03"
    )
    assert matches(bundle) == [f"MedicationRequest/{clinic['second'].pk}"]


def test_include_adds_each_patient_once(fhir_client, clinic):
    bundle = search(fhir_client, "MedicationRequest", _include="MedicationRequest:patient")
    assert len(matches(bundle)) == 3
    assert sorted(matches(bundle, "include")) == ["Patient/AMINA", "Patient/JB.007"]
    assert bundle["total"] == 3


# --- MedicationDispense and Communication ---------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({}, True),
        ({"patient": "JB.007"}, True),
        ({"patient": "AMINA"}, False),
        ({"prescription": "MedicationRequest/{second}"}, True),
        ({"prescription": "{first}"}, False),
        ({"status": "completed"}, True),
        ({"status": "in-progress"}, False),
        ({"whenhandedover": "ge2000-01-01"}, True),
        ({"whenhandedover": "lt2000-01-01"}, False),
    ],
)
def test_medication_dispense_parameters(fhir_client, clinic, params, found):
    params = {k: v.format(**{n: o.pk for n, o in clinic.items()}) for k, v in params.items()}
    bundle = search(fhir_client, "MedicationDispense", **params)
    assert matches(bundle) == ([f"MedicationDispense/{clinic['second'].pk}"] if found else [])


def sms_of(order, kind: str) -> SmsNotification:
    return SmsNotification.objects.get(order=order, kind=kind)


@pytest.fixture
def messages(clinic):
    """The clinic's five messages (each order's `received`, the second's `ready`, the third's
    `cancelled`) and one to Zed, who opted out, taken through the worker's services so each
    ends in another state. Their Communication ids by name."""
    zed = customer_get_by_code("ZED")
    customer_set_sms_opt_out(customer=zed, opt_out=True, source=SmsOptOutSource.STAFF)
    rows = {
        "first": sms_of(clinic["first"], SmsKind.ORDER_RECEIVED),
        "second": sms_of(clinic["second"], SmsKind.ORDER_RECEIVED),
        "third": sms_of(clinic["third"], SmsKind.ORDER_RECEIVED),
        "second-ready": sms_of(clinic["second"], SmsKind.ORDER_READY),
        "third-cancelled": sms_of(clinic["third"], SmsKind.ORDER_CANCELLED),
        "zed": sms_of(order(zed), SmsKind.ORDER_RECEIVED),
    }
    work_outbox(
        {
            rows["first"].pk: "delivered",
            rows["second"].pk: "sent",
            rows["third"].pk: TransportError("InvalidPhoneNumber", permanent=True),
            rows["second-ready"].pk: TransportError("Gateway timeout"),
            rows["third-cancelled"].pk: "delivered",
            # Zed's message is suppressed by the worker: he opted out.
        }
    )
    return {name: f"Communication/{row.pk}" for name, row in rows.items()}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["zed", "third-cancelled", "second-ready", "third", "second", "first"]),
        ({"patient": "JB.007"}, ["second-ready", "second", "first"]),
        ({"subject": "Patient/AMINA"}, ["third-cancelled", "third"]),
        ({"about": "MedicationRequest/{second}"}, ["second-ready", "second"]),
        ({"about": "{first}"}, ["first"]),
        ({"status": "completed"}, ["third-cancelled", "first"]),
        ({"status": "in-progress"}, ["second"]),
        ({"status": "preparation"}, ["second-ready"]),
        ({"status": "not-done"}, ["zed", "third"]),
        ({"status": "http://hl7.org/fhir/event-status|not-done"}, ["zed", "third"]),
        ({"status": "on-hold"}, []),
        ({"category": "order_received"}, ["zed", "third", "second", "first"]),
        ({"category": "order_ready,order_cancelled"}, ["third-cancelled", "second-ready"]),
        ({"category": f"{BASE}/CodeSystem/sms-kind|order_ready"}, ["second-ready"]),
        ({"category": "|order_ready"}, []),
        ({"category": "http://terminology.hl7.org/CodeSystem/communication-category|alert"}, []),
        ({"patient": "JB.007", "category": "order_received"}, ["second", "first"]),
    ],
)
def test_communication_parameters(fhir_client, clinic, messages, params, expected):
    params = {k: v.format(**{n: o.pk for n, o in clinic.items()}) for k, v in params.items()}
    bundle = search(fhir_client, "Communication", **params)
    assert matches(bundle) == [messages[name] for name in expected]


def test_each_message_of_an_order_is_a_communication_in_its_own_state(fhir_client, messages):
    found = {name: fhir_get(fhir_client, address).json() for name, address in messages.items()}
    categories = {name: r["category"][0]["coding"][0]["code"] for name, r in found.items()}
    assert categories == {
        "first": "order_received",
        "second": "order_received",
        "third": "order_received",
        "second-ready": "order_ready",
        "third-cancelled": "order_cancelled",
        "zed": "order_received",
    }
    assert found["second"]["about"] == found["second-ready"]["about"]
    assert {"sent", "received"} <= set(found["first"])
    assert found["third"]["statusReason"] == {"text": "InvalidPhoneNumber"}
    assert found["zed"]["status"] == "not-done"
    assert found["zed"]["statusReason"]["text"].startswith("Not sent: the patient opted out")
    assert "sent" not in found["zed"]
    # Waiting for a retry after a temporary failure: no reason, it is not over yet.
    assert found["second-ready"]["status"] == "preparation"
    assert "statusReason" not in found["second-ready"]


# --- Pages --------------------------------------------------------------------------------------


def test_pages_follow_next_links_to_the_end_without_drift(fhir_client, clinic):
    first_page = search(fhir_client, "MedicationRequest", _count="2")
    assert "total" not in first_page
    # A new order placed while paging does not shift later pages.
    order(customer("LATE", 9))

    found = follow(fhir_client, first_page)

    assert found == [f"MedicationRequest/{clinic[n].pk}" for n in ("third", "second", "first")]


@pytest.mark.parametrize(
    "resource_type", ["Patient", "MedicationRequest", "MedicationDispense", "Communication"]
)
def test_every_type_pages_through_everything_once(fhir_client, clinic, resource_type):
    everything = matches(search(fhir_client, resource_type))
    assert follow(fhir_client, search(fhir_client, resource_type, _count="1")) == everything


def test_next_link_keeps_the_parameters(fhir_client, clinic):
    bundle = search(fhir_client, "MedicationRequest", patient="JB.007", _count="1")
    next_url = next_link(bundle)
    query = parse_qs(urlsplit(next_url).query)
    assert query["patient"] == ["JB.007"]
    assert query["_count"] == ["1"]


def test_count_is_capped_at_200(fhir_client, clinic):
    bundle = search(fhir_client, "Patient", _count="5000")
    assert len(matches(bundle)) == 3


def test_a_deep_page_query_has_no_offset(fhir_client, clinic):
    bundle = search(fhir_client, "MedicationRequest", _count="1")
    next_url = next_link(bundle)
    with CaptureQueriesContext(connection) as queries:
        fhir_get(fhir_client, next_url)
    page_query = next(q["sql"] for q in queries.captured_queries if "orders_order" in q["sql"])
    assert "OFFSET" not in page_query.upper()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "",
        "x" * 300,
        "WyJQYXRpZW50IiwxXQ:1xWs7P:forged-signature",
        "\u0661\u0662",
    ],
)
def test_a_cursor_we_did_not_issue_is_400(fhir_client, clinic, cursor):
    assert_outcome(fhir_get(fhir_client, "Patient", data={"_cursor": cursor}), 400, "invalid")


def test_a_cursor_of_another_type_is_400(fhir_client, clinic):
    bundle = search(fhir_client, "Patient", _count="1")
    next_url = next_link(bundle)
    cursor = parse_qs(urlsplit(next_url).query)["_cursor"][0]
    assert_outcome(fhir_get(fhir_client, "Communication", data={"_cursor": cursor}), 400)


# --- Queries per page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("Patient", 1),
        ("MedicationRequest", 1),
        ("MedicationRequest?_include=MedicationRequest:patient", 2),
        ("MedicationDispense", 1),
        ("Communication", 1),
        ("Communication?category=order_ready&patient=Patient/C1,C2,C3,C4", 1),
    ],
)
def test_a_page_costs_the_same_queries_whatever_its_size(
    fhir_client, django_assert_num_queries, path, queries
):
    for n in range(6):
        placed = order(customer(f"C{n}", n))
        order_update(order=placed, status="fulfilled")
    separator = "&" if "?" in path else "?"
    with django_assert_num_queries(queries):
        small = fhir_get(fhir_client, f"{path}{separator}_count=2")
    with django_assert_num_queries(queries):
        large = fhir_get(fhir_client, f"{path}{separator}_count=200")
    assert len(matches(large.json())) > len(matches(small.json()))
    next_url = next_link(small.json())
    with django_assert_num_queries(queries):
        fhir_get(fhir_client, next_url)


# --- POST _search -------------------------------------------------------------------------


def test_post_search_takes_form_parameters_and_those_in_the_url(fhir_client, clinic):
    response = fhir_client.post(
        "/fhir/R4/MedicationRequest/_search?_count=1",
        "patient=JB.007&status=active",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert matches(response.json()) == [f"MedicationRequest/{clinic['first'].pk}"]


def test_post_search_with_json_is_415(fhir_client, clinic):
    response = fhir_client.post("/fhir/R4/Patient/_search", {"name": "x"}, format="json")
    assert_outcome(response, 415)


def test_get_on_search_address_is_405(fhir_client):
    assert_outcome(fhir_client.get("/fhir/R4/Patient/_search"), 405)


# --- Strict, lenient, hostile ---------------------------------------------------------------


def test_unknown_parameter_is_an_error(fhir_client, clinic):
    outcome = assert_outcome(fhir_get(fhir_client, "Patient", data={"birthdate": "2000"}), 400)
    assert "birthdate" in outcome["issue"][0]["diagnostics"]


def test_lenient_handling_ignores_unknown_parameters_and_says_so(fhir_client, clinic):
    response = fhir_get(
        fhir_client,
        "Patient",
        data={"birthdate": "2000", "name": "amina", "name:exact": "x", "_sort": "name"},
        HTTP_PREFER="handling=lenient",
    )
    bundle = response.json()
    assert matches(bundle) == ["Patient/AMINA"]
    outcome = next(e for e in bundle["entry"] if e["search"]["mode"] == "outcome")
    assert outcome["resource"]["issue"][0]["severity"] == "warning"
    assert "birthdate" in outcome["resource"]["issue"][0]["diagnostics"]
    assert bundle["link"][0]["url"] == f"{BASE}/Patient?name=amina"


@pytest.mark.parametrize(
    "query",
    [
        "_count=%C2%B2",  # superscript two
        "_count=%D9%A1",  # Arabic-Indic one
        "_count=%EF%BC%95",  # fullwidth five
        "_count=0",
        "_count=-1",
        "_count=1.5",
        "_count=1&_count=2",
        "_count=",
        "name=%00",
        "name=a%01b",
        "name=%ED%A0%80",  # a lone surrogate, UTF-8 encoded: not UTF-8 at all
        "name=%FF",
        "name=",
        "name=" + "a" * 300,
        "_id=a_b",
        "_id=%D9%A1",
        "_id=" + "x" * 65,
        "identifier=",
        "telecom=phone|%D9%A0712000002",
        "_lastUpdated=2026-13-01",
        "_lastUpdated=2026-02-30",
        "_lastUpdated=%D9%A2026-01-01",
        "_lastUpdated=ne2026-01-01",
        "_lastUpdated=sa2026-01-01",
        "_lastUpdated=2026-01-01T10:00:00+15:00",
        "_lastUpdated=2026-01-01T10:00:00+00:60",
        "_lastUpdated=0000-01-01",
        "_lastUpdated=0001-01-01T00:00:00+14:00",
        "_lastUpdated=20260101",
        "_include=Patient:link",
        "_include:iterate=MedicationRequest:patient",
        "name:exact=amina",
        "n%D0%B0me=amina",  # Cyrillic a
        "_format=xml",
    ],
)
def test_hostile_patient_searches_are_4xx_outcomes(fhir_client, clinic, query):
    response = fhir_get(fhir_client, f"Patient?{query}")
    assert 400 <= response.status_code < 500
    assert_outcome(response, response.status_code)


@pytest.mark.parametrize(
    "query",
    [
        "status=%D0%B0ctive",  # Cyrillic a
        "status=ACTIVE",
        "status=",
        "patient=Practitioner/1",
        "patient=Patient/a_b",
        "patient=Patient/%00",
        "authoredon=2026-05-01T25:00",
        "authoredon=ap2026",
        "_id=%C2%B2",
        "_id=1.0",
        "_id=" + "9" * 40,
        "_include=MedicationRequest:subject",
    ],
)
def test_hostile_medication_request_searches_are_4xx_outcomes(fhir_client, clinic, query):
    response = fhir_get(fhir_client, f"MedicationRequest?{query}")
    assert 400 <= response.status_code < 500
    assert_outcome(response, response.status_code)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("MedicationDispense", "prescription=Patient/1"),
        ("MedicationDispense", "status=done"),
        ("MedicationDispense", "whenhandedover=yesterday"),
        ("Communication", "about=%D9%A1"),
        ("Communication", "status=sent"),
        ("Communication", "status=suppressed"),
        ("Communication", "patient=" + "a" * 100),
        ("Communication", "category=order_shipped"),
        ("Communication", "category=ORDER_READY"),
        ("Communication", "category=order%E2%80%8Bready"),  # a zero-width space inside
        ("Communication", "category=%D0%BErder_ready"),  # Cyrillic o
        ("Communication", "category=order_ready%00"),
        ("Communication", "category="),
        ("Communication", f"category={BASE}/CodeSystem/sms-kind|"),
        ("Communication", f"category={BASE}/CodeSystem/sms-kind|order_shipped"),
        ("Communication", "category:text=ready"),
    ],
)
def test_hostile_searches_of_other_types_are_4xx_outcomes(fhir_client, clinic, path, query):
    response = fhir_get(fhir_client, f"{path}?{query}")
    assert 400 <= response.status_code < 500
    assert_outcome(response, response.status_code)


def test_too_many_parameters_is_400(fhir_client):
    query = "&".join(["name=a"] * 41)
    assert_outcome(fhir_get(fhir_client, f"Patient?{query}"), 400)


def test_more_parameters_than_django_parses_is_a_400_outcome(fhir_client):
    query = "&".join(f"p{n}=1" for n in range(1100))
    assert_outcome(fhir_get(fhir_client, f"Patient?{query}"), 400)


def test_throttled_callers_get_429_outcomes_with_retry_after(fhir_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_RATE = "1/minute"
    try:
        assert fhir_get(fhir_client, "Patient").status_code == 200
        response = fhir_get(fhir_client, "Patient")
        assert_outcome(response, 429, "throttled")
        assert "Retry-After" in response
    finally:
        cache.clear()
