"""The mapping functions (fhir.resources) on their own: one golden file per resource type,
and random customers, orders and messages that must always make valid R4 resources."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.models import Customer, Language
from fhir.capability import capability_statement
from fhir.resources import (
    COMMUNICATION_STATUS,
    LANGUAGES,
    SMS_KINDS,
    Entry,
    Version,
    communication_resource,
    customer_code,
    medication_dispense_resource,
    medication_request_resource,
    operation_outcome,
    patient_id,
    patient_resource,
    searchset,
)
from notifications.models import SmsKind, SmsNotification, SmsStatus
from orders.models import Order, OrderStatus
from orders.selectors import AuditedOrder
from tests.fhir.validation import validate

GOLDEN = Path(__file__).parent / "golden"
BASE = "https://orders.example.com/fhir/R4"
AT = datetime(2026, 5, 1, 7, 30, 15, 250000, tzinfo=UTC)


def customer(**fields) -> Customer:
    values = {
        "id": 3,
        "code": "CUST_007",
        "name": "Wanjiru Kamau",
        "contact_number": "+254712345678",
        "email": "wanjiru@example.com",
        "insurance_number": "SHA-0042-7",
        "preferred_language": Language.EN,
    }
    return Customer(**(values | fields))


def order(**fields) -> Order:
    values = {
        "id": 42,
        "customer": customer(),
        "item": "Amoxicillin 500mg",
        "amount": Decimal("1250.50"),
        "physician_name": "Dr Otieno",
        "status": OrderStatus.PLACED,
        "created_at": AT,
        "updated_at": AT,
    }
    return Order(**(values | fields))


def row(order: Order) -> AuditedOrder:
    """`order` as the selectors read it for the FHIR facade."""
    return {
        "id": order.pk,
        "customer_id": order.customer.pk,
        "customer_code": order.customer.code,
        "item": order.item,
        "amount": order.amount,
        "physician_name": order.physician_name,
        "status": order.status,
        "created_at": order.created_at,
        "audit_version": None,
        "audit_at": order.updated_at,
    }


def sms(**fields) -> SmsNotification:
    """A delivered `order_received` message, with the text the default template gives."""
    values = {
        "id": 7,
        "order": order(),
        "kind": SmsKind.ORDER_RECEIVED,
        "language": Language.EN,
        "phone_number": "+254712345678",
        "message": "Hi Wanjiru, the clinic has received your order #42 for KES 1,250.50.",
        "status": SmsStatus.DELIVERED,
        "last_error": "",
        "updated_at": AT + timedelta(minutes=2),
        "sent_at": AT + timedelta(seconds=5),
        "delivered_at": AT + timedelta(minutes=2),
    }
    return SmsNotification(**(values | fields))


def assert_golden(name: str, resource: dict) -> None:
    """`resource` is valid and equal to tests/fhir/golden/<name>.json. FHIR_UPDATE_GOLDEN=1
    rewrites the file instead (then read the diff before committing it)."""
    validate(resource)
    path = GOLDEN / f"{name}.json"
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("FHIR_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_patient_golden():
    assert_golden("patient", patient_resource(customer(), version=Version("12", AT)))


def test_medication_request_golden():
    resource = medication_request_resource(row(order()), version=Version("15", AT), base=BASE)
    assert_golden("medication_request", resource)


def test_medication_dispense_golden():
    resource = medication_dispense_resource(
        row(order(status=OrderStatus.FULFILLED)),
        version=Version("16", AT + timedelta(days=1)),
        fulfilled_at=AT + timedelta(days=1),
    )
    assert_golden("medication_dispense", resource)


def test_communication_golden():
    resource = communication_resource(sms(), include_payload=True, base=BASE)
    assert_golden("communication", resource)


def test_operation_outcome_golden():
    assert_golden("operation_outcome", operation_outcome(410, "This Patient has been deleted."))


def test_searchset_golden():
    bundle = searchset(
        base=BASE,
        entries=[
            Entry(
                medication_request_resource(row(order()), version=Version("15", AT), base=BASE),
                "match",
            ),
            Entry(patient_resource(customer(), version=Version("12", AT)), "include"),
        ],
        self_url=f"{BASE}/MedicationRequest?_include=MedicationRequest%3Apatient",
        next_url=None,
        total=1,
    )
    assert_golden("searchset", bundle)


def test_capability_statement_golden(settings):
    settings.FHIR_DOCUMENTATION_URL = ""
    assert_golden("capability_statement", capability_statement(base=BASE))


def test_failed_sms_says_why_and_keeps_its_text_from_callers_without_orders():
    resource = communication_resource(
        sms(status=SmsStatus.FAILED, last_error="InvalidPhoneNumber", delivered_at=None),
        include_payload=False,
        base=BASE,
    )
    validate(resource)
    assert resource["status"] == "not-done"
    assert resource["statusReason"] == {"text": "InvalidPhoneNumber"}
    assert "payload" not in resource
    assert "+254712345678" not in json.dumps(resource)


def test_suppressed_sms_is_not_done_and_says_why():
    reason = "Not sent: the patient opted out of SMS (Staff (API or admin))."
    resource = communication_resource(
        sms(status=SmsStatus.SUPPRESSED, last_error=reason, sent_at=None, delivered_at=None),
        include_payload=True,
        base=BASE,
    )
    validate(resource)
    assert resource["status"] == "not-done"
    assert resource["statusReason"] == {"text": reason}
    assert "sent" not in resource
    assert "received" not in resource


def test_a_queued_sms_waiting_for_a_retry_is_in_preparation_without_a_reason():
    # After a temporary failure the message is queued again and keeps the error it met: the
    # reason for a retry, not for its status.
    resource = communication_resource(
        sms(status=SmsStatus.QUEUED, last_error="Gateway timeout", sent_at=None, delivered_at=None),
        include_payload=True,
        base=BASE,
    )
    validate(resource)
    assert resource["status"] == "preparation"
    assert "statusReason" not in resource


@pytest.mark.parametrize("kind", SmsKind.values)
def test_each_kind_of_sms_is_a_category_of_our_code_system(kind):
    resource = communication_resource(sms(kind=kind), include_payload=False, base=BASE)
    validate(resource)
    assert resource["category"] == [
        {
            "coding": [
                {
                    "system": f"{BASE}/CodeSystem/sms-kind",
                    "code": kind,
                    "display": SmsKind(kind).label,
                }
            ]
        }
    ]


def test_every_sms_status_has_a_communication_status():
    assert set(SmsStatus.values) == set(COMMUNICATION_STATUS)


def test_every_sms_kind_has_a_category_named_as_the_kind():
    assert dict(SmsKind.choices) == SMS_KINDS


def test_every_customer_language_has_a_bcp_47_display():
    assert set(LANGUAGES) == set(Language.values)


def test_a_row_saved_before_the_audit_trail_has_no_version_id():
    resource = patient_resource(customer(), version=Version(None, AT))
    validate(resource)
    assert resource["meta"] == {"lastUpdated": "2026-05-01T07:30:15.250000Z"}


@pytest.mark.parametrize(("language", "display"), [("en", "English"), ("sw", "Swahili")])
def test_patient_communication_is_the_preferred_language(language, display):
    resource = patient_resource(customer(preferred_language=language), version=Version("1", AT))
    validate(resource)
    assert resource["communication"] == [
        {
            "language": {
                "coding": [{"system": "urn:ietf:bcp:47", "code": language, "display": display}]
            },
            "preferred": True,
        }
    ]


@pytest.mark.parametrize("code", ["CUST_007", "a", "A-b_c_", "0" * 32])
def test_patient_ids_and_customer_codes_convert_both_ways(code):
    assert customer_code(patient_id(code)) == code


@pytest.mark.parametrize("resource_id", ["", "a_b", "a b", "١٢", "x" * 65, "P\u0430tient"])
def test_strings_that_are_no_fhir_id_name_no_customer(resource_id):
    assert customer_code(resource_id) is None


# --- Random rows --------------------------------------------------------------------------

# Any text at all, control characters and surrogates included: what a database row could hold.
any_text = st.text(min_size=1, max_size=60)
moments = st.datetimes(
    # Naive bounds, as hypothesis wants; every value comes out in UTC.
    min_value=datetime(1, 1, 2),  # noqa: DTZ001
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
versions = st.builds(Version, st.one_of(st.none(), st.integers(1, 10**12).map(str)), moments)
customers = st.builds(
    customer,
    code=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", fullmatch=True),
    name=any_text,
    contact_number=st.sampled_from(["+254712345678", "+255712345678", "+256772123456", ""]),
    email=st.one_of(st.emails(), st.just("")),
    insurance_number=st.one_of(st.just(""), any_text),
    preferred_language=st.sampled_from(Language.values),
)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
orders = st.builds(
    order,
    customer=customers,
    item=any_text,
    amount=amounts,
    physician_name=any_text,
    status=st.sampled_from(OrderStatus.values),
    created_at=moments,
)
messages = st.builds(
    sms,
    order=orders,
    kind=st.sampled_from(SmsKind.values),
    language=st.sampled_from(Language.values),
    message=any_text,
    status=st.sampled_from(SmsStatus.values),
    last_error=st.one_of(st.just(""), any_text),
    updated_at=moments,
    sent_at=st.one_of(st.none(), moments),
    delivered_at=st.one_of(st.none(), moments),
)


@settings(derandomize=True, database=None, max_examples=100, deadline=None)
@given(customers, versions)
def test_any_customer_makes_a_valid_patient(row, version):
    resource = patient_resource(row, version=version)
    validate(resource)
    assert customer_code(resource["id"]) == row.code
    assert resource["communication"][0]["language"]["coding"][0]["code"] == row.preferred_language


@settings(derandomize=True, database=None, max_examples=100, deadline=None)
@given(orders, versions)
def test_any_order_makes_a_valid_medication_request_and_dispense(order, version):
    request = medication_request_resource(row(order), version=version, base=BASE)
    validate(request)
    money = request["extension"][0]["valueMoney"]
    # The amount survives as a JSON number: exactly, to the cent.
    assert Decimal(repr(money["value"])) == order.amount
    validate(
        medication_dispense_resource(row(order), version=version, fulfilled_at=order.created_at)
    )


@settings(derandomize=True, database=None, max_examples=100, deadline=None)
@given(messages, st.booleans())
def test_any_sms_makes_a_valid_communication_without_its_number(row, include_payload):
    resource = communication_resource(row, include_payload=include_payload, base=BASE)
    validate(resource)
    assert ("payload" in resource) == include_payload
    assert row.phone_number not in json.dumps(resource)
    assert resource["category"][0]["coding"][0]["code"] == row.kind
    not_done = resource["status"] == "not-done"
    assert ("statusReason" in resource) == (not_done and bool(row.last_error))
