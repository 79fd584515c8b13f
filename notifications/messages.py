"""The text of an order's SMS, in the patient's language, from the `SMS_TEMPLATES` setting
(notifications/texts.py has the defaults and the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from notifications import gsm, texts

if TYPE_CHECKING:
    from orders.models import Order


@dataclass(frozen=True)
class RenderedSms:
    text: str
    encoding: str
    segments: int


def first_name(name: str) -> str:
    words = name.split()
    return words[0] if words else ""


def facility_name(language: str) -> str:
    return settings.SMS_FACILITY_NAME or texts.DEFAULT_FACILITY[language]


def render_message(
    *, kind: str, language: str, name: str, reference: str, amount: Decimal
) -> RenderedSms:
    """The message of `kind` in `language`, normalised to the GSM alphabet where a character
    has a plain equivalent, with what it costs."""
    text = texts.render(
        settings.SMS_TEMPLATES[kind, language],
        first_name=first_name(gsm.normalise(name)),
        reference=reference,
        facility=facility_name(language),
        amount=f"{amount:,.2f}",
    )
    text = gsm.normalise(text).strip()
    cost = gsm.measure(text)
    return RenderedSms(text=text, encoding=cost.encoding, segments=cost.segments)


def render_order_message(order: Order, *, kind: str) -> tuple[str, RenderedSms]:
    """The message of `kind` for `order`'s customer, in their language; returns the language
    too."""
    customer = order.customer
    language = customer.preferred_language
    rendered = render_message(
        kind=kind,
        language=language,
        name=customer.name,
        reference=str(order.pk),
        amount=order.amount,
    )
    return language, rendered
