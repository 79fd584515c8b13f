"""The words of every SMS, in English and Swahili, and the rules a custom text must follow.

A pure module (no settings), so `config/settings.py` can check the configured texts at
start-up and the tests can render every text without a database.

An SMS lands on a phone that others may read. Under Kenya's Data Protection Act 2019 health
data is sensitive, so no text names the medication (or anything else about the patient's
health): a text carries the patient's first name, the order reference, the facility and,
when the order is received, the amount. A custom text that asks for `{item}` is refused.

Every default text fits one GSM-7 segment (160 characters) with a 60-character first name, a
32-character reference and KES 99,999,999.99 (tests/notifications/test_texts.py). The
Swahili texts are plain, everyday Kenyan Swahili: "agizo" (order), "kuchukuliwa" (to be
collected), "limeghairiwa" (has been cancelled), "Jumla" (total).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

from django.core.exceptions import ImproperlyConfigured

ORDER_RECEIVED = "order_received"
ORDER_READY = "order_ready"
ORDER_CANCELLED = "order_cancelled"
KINDS = (ORDER_RECEIVED, ORDER_READY, ORDER_CANCELLED)
LANGUAGES = ("en", "sw")

DEFAULT_TEMPLATES: dict[tuple[str, str], str] = {
    (ORDER_RECEIVED, "en"): (
        "Hi {first_name}, {facility} has received your order #{reference} for KES {amount}."
    ),
    (ORDER_READY, "en"): (
        "Hi {first_name}, your order #{reference} is ready for collection at {facility}."
    ),
    (ORDER_CANCELLED, "en"): (
        "Hi {first_name}, your order #{reference} at {facility} has been cancelled."
    ),
    (ORDER_RECEIVED, "sw"): (
        "Habari {first_name}, {facility} imepokea agizo lako #{reference}. Jumla: KES {amount}."
    ),
    (ORDER_READY, "sw"): (
        "Habari {first_name}, agizo lako #{reference} liko tayari kuchukuliwa katika {facility}."
    ),
    (ORDER_CANCELLED, "sw"): (
        "Habari {first_name}, agizo lako #{reference} katika {facility} limeghairiwa."
    ),
}

# What "the facility" is called when SMS_FACILITY_NAME is not set.
DEFAULT_FACILITY = {"en": "the clinic", "sw": "kliniki"}

PLACEHOLDERS = frozenset({"first_name", "reference", "facility", "amount"})
# Fields a template may not name, and why: the reason is the start-up error's message.
FORBIDDEN = {
    "item": (
        "an SMS must never name the medication: it lands on a phone others may read, and "
        "health data is sensitive under Kenya's Data Protection Act 2019"
    ),
}


def setting_name(kind: str, language: str) -> str:
    """The setting (and environment variable) that overrides one text."""
    return f"SMS_TEMPLATE_{kind.upper()}_{language.upper()}"


def check_template(name: str, template: str) -> None:
    """Refuse a text that names the item, names an unknown placeholder or does not parse.

    Only bare names are allowed: `{first_name.__class__}` or `{amount[0]}` would let a
    template reach into Python objects.
    """
    try:
        fields = [field for _, field, _, _ in Formatter().parse(template) if field is not None]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid template: {exc}.") from None
    for field in fields:
        if field in FORBIDDEN:
            raise ImproperlyConfigured(
                f"{name} uses {{{field}}}, which is not allowed: {FORBIDDEN[field]}."
            )
        if field not in PLACEHOLDERS:
            allowed = " ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            raise ImproperlyConfigured(
                f"{name} uses {{{field}}}; a template may use only {allowed}."
            )
    if not template.strip():
        raise ImproperlyConfigured(f"{name} is empty.")


def check_templates(templates: Mapping[tuple[str, str], str]) -> None:
    for (kind, language), template in templates.items():
        check_template(setting_name(kind, language), template)


def render(template: str, *, first_name: str, reference: str, facility: str, amount: str) -> str:
    return template.format(
        first_name=first_name, reference=reference, facility=facility, amount=amount
    )
