"""The texts: every default fits one GSM-7 segment in both languages, none names the item, and
a custom text that would is refused at start-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.messages import render_message
from notifications.models import SmsKind, SmsNotification
from notifications.texts import DEFAULT_TEMPLATES, KINDS, LANGUAGES, check_template
from orders.services import order_update, place_order
from tests.factories import CustomerFactory
from tests.support.processes import manage, service_env

LONG_NAMES = [
    # The worst case: a 60-character name that is all first name.
    "Nyakwar" + "a" * 53,
    # A realistic 60-character name: only its first word is used.
    "Wanjiku-Nyambura Achieng Chepkoech Mwikali Kamau-Odhiambo Ko",
]
REFERENCE = "R" * 32
AMOUNTS = [Decimal("999999.99"), Decimal("99999999.99")]  # the second: the largest amount


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LONG_NAMES)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_every_default_text_fits_one_gsm7_segment_with_long_values(kind, language, name, amount):
    assert len(name) == 60
    rendered = render_message(
        kind=kind, language=language, name=name, reference=REFERENCE, amount=amount
    )
    assert (rendered.encoding, rendered.segments) == ("GSM-7", 1), rendered.text
    assert len(rendered.text) <= 160
    assert name.split()[0] in rendered.text
    assert f"#{REFERENCE}" in rendered.text
    if kind == SmsKind.ORDER_RECEIVED:
        assert f"KES {amount:,.2f}" in rendered.text


@pytest.mark.parametrize(
    ("language", "kind", "expected"),
    [
        (
            "en",
            "order_received",
            "Hi Amina, the clinic has received your order #42 for KES 1,250.00.",
        ),
        ("en", "order_ready", "Hi Amina, your order #42 is ready for collection at the clinic."),
        ("en", "order_cancelled", "Hi Amina, your order #42 at the clinic has been cancelled."),
        (
            "sw",
            "order_received",
            "Habari Amina, kliniki imepokea agizo lako #42. Jumla: KES 1,250.00.",
        ),
        (
            "sw",
            "order_ready",
            "Habari Amina, agizo lako #42 liko tayari kuchukuliwa katika kliniki.",
        ),
        ("sw", "order_cancelled", "Habari Amina, agizo lako #42 katika kliniki limeghairiwa."),
    ],
)
def test_the_default_texts_read_as_reviewed(language, kind, expected):
    rendered = render_message(
        kind=kind, language=language, name="Amina Wafula", reference="42", amount=Decimal("1250")
    )
    assert rendered.text == expected


def test_the_facility_name_comes_from_settings(settings):
    settings.SMS_FACILITY_NAME = "Uzima Pharmacy"
    for language in LANGUAGES:
        rendered = render_message(
            kind="order_ready", language=language, name="Amina", reference="1", amount=Decimal(1)
        )
        assert rendered.text.endswith("Uzima Pharmacy.")


def test_no_default_text_names_the_item():
    assert all("{item" not in text for text in DEFAULT_TEMPLATES.values())


@pytest.mark.parametrize("template", ["Your {item} is ready", "{item!r}", "{item:>10}"])
def test_a_text_naming_the_item_is_refused_with_the_reason(template):
    with pytest.raises(ImproperlyConfigured) as refused:
        check_template("SMS_TEMPLATE_ORDER_READY_EN", template)
    message = str(refused.value)
    assert "SMS_TEMPLATE_ORDER_READY_EN" in message
    assert "{item}" in message
    assert "must never name the medication" in message
    assert "Data Protection Act" in message


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("Hi {name}", "may use only"),
        ("Hi {first_name.__class__}", "may use only"),
        ("Hi {first_name[0]}", "may use only"),
        ("Hi {}", "may use only"),
        ("Hi {first_name", "not a valid template"),
        ("  ", "is empty"),
    ],
)
def test_other_bad_texts_are_refused(template, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        check_template("SMS_TEMPLATE_ORDER_RECEIVED_SW", template)


def test_a_custom_text_with_the_item_stops_start_up_and_says_why():
    result = manage(
        "check",
        env=service_env(SMS_TEMPLATE_ORDER_READY_SW="Habari {first_name}, {item} iko tayari."),
    )
    assert result.returncode != 0
    assert "SMS_TEMPLATE_ORDER_READY_SW uses {item}" in result.stderr
    assert "must never name the medication" in result.stderr


def test_the_old_single_template_setting_stops_start_up():
    result = manage("check", env=service_env(SMS_TEMPLATE="Hi {customer_name}, {item}"))
    assert result.returncode != 0
    assert "SMS_TEMPLATE_ORDER_RECEIVED_EN" in result.stderr


def test_a_valid_custom_text_starts():
    result = manage(
        "check",
        env=service_env(SMS_TEMPLATE_ORDER_READY_EN="{first_name}: order {reference} is ready."),
    )
    assert result.returncode == 0, result.stderr


# Random texts built from the allowed placeholders and plain words; random items drawn from
# letters the words never use, so an item can only appear in a message if it was put there.
_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.!'-", max_size=30)
_pieces = st.lists(
    st.one_of(_words, st.sampled_from(["{first_name}", "{reference}", "{facility}", "{amount}"])),
    min_size=1,
    max_size=8,
)
_items = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ0123456789µ®", min_size=4, max_size=60
).filter(
    lambda item: any(ch.isalpha() for ch in item)  # digits alone could be an order number
)


@pytest.mark.django_db
@settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(item=_items, pieces=_pieces, language=st.sampled_from(LANGUAGES), cancel=st.booleans())
def test_no_message_names_the_item_whatever_the_item_and_the_texts(
    settings, item, pieces, language, cancel
):
    template = "".join(pieces)
    if not template.strip():
        template = "{first_name}"
    check_template("SMS_TEMPLATE_ORDER_RECEIVED_EN", template)
    settings.SMS_TEMPLATES = dict.fromkeys(DEFAULT_TEMPLATES, template)
    settings.SMS_FACILITY_NAME = ""
    customer = CustomerFactory(name="amina wafula", preferred_language=language)
    order = place_order(customer=customer, item=item, amount=Decimal("12.50"), physician_name="x")
    order_update(order=order, status="cancelled" if cancel else "fulfilled")
    messages = list(SmsNotification.objects.filter(order=order).values_list("message", flat=True))
    assert len(messages) == 2
    for message in messages:
        assert item not in message
