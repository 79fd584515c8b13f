"""What the desk's forms show. The rules for what is valid are not here: the API's serializers
check every value (customers.api, orders.api), so the desk and the API cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from customers.models import Language
from orders.models import OrderStatus


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form: its name in the API, its label, and how the browser should ask."""

    name: str
    label: str | Promise
    input_type: str = "text"
    required: bool = True
    autocomplete: str = "off"
    inputmode: str = ""
    help_text: str | Promise = ""
    choices: Sequence[tuple[str, str | Promise]] = ()
    # Suggests patients as the user types (htmx, when the user may read patients).
    typeahead: bool = False


@dataclass(frozen=True)
class BoundField:
    spec: FieldSpec
    value: Any
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.spec.name}"


CUSTOMER_FIELDS = (
    FieldSpec("name", _("Name"), autocomplete="name"),
    FieldSpec(
        "code",
        _("Code"),
        help_text=_("Letters, digits, '-' and '_'; the patient's number at this clinic."),
    ),
    FieldSpec(
        "contact_number",
        _("Contact number"),
        input_type="tel",
        autocomplete="tel",
        help_text=_("A mobile number: 0712 345 678 or +254 712 345 678."),
    ),
    FieldSpec("email", _("Email"), input_type="email", autocomplete="email"),
    FieldSpec("insurance_number", _("Insurance number"), required=False),
    FieldSpec(
        "preferred_language",
        _("Preferred language"),
        input_type="select",
        help_text=_("The language of the patient's SMS."),
        choices=((Language.EN, _("English")), (Language.SW, _("Kiswahili"))),
    ),
)

ORDER_FIELDS = (
    FieldSpec(
        "customer_code",
        _("Patient"),
        help_text=_("The patient's code; type a name or number to find it."),
        typeahead=True,
    ),
    FieldSpec("item", _("Item")),
    FieldSpec("amount", _("Amount (KES)"), inputmode="decimal", help_text=_("For example 250.00")),
    FieldSpec("physician_name", _("Physician name")),
)


def bound_fields(
    specs: Sequence[FieldSpec], values: Mapping[str, Any], errors: Mapping[str, list[str]]
) -> list[BoundField]:
    return [
        BoundField(spec, values.get(spec.name, ""), list(errors.get(spec.name, [])))
        for spec in specs
    ]


class DateInput(forms.DateInput):
    input_type = "date"


class OrderFilterForm(forms.Form):
    """The orders list's filters (a GET form): what to show, not what is allowed."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            (OrderStatus.PLACED, _("Placed")),
            (OrderStatus.FULFILLED, _("Fulfilled")),
            (OrderStatus.CANCELLED, _("Cancelled")),
        ],
    )
    created_from = forms.DateField(label=_("Placed from"), required=False, widget=DateInput)
    created_to = forms.DateField(label=_("Placed until"), required=False, widget=DateInput)
    patient = forms.CharField(label=_("Patient code"), required=False, max_length=32)


class FilterInput(TypedDict):
    """One input of the orders list's filter form, as its template shows it."""

    id: str
    name: str
    label: str
    input_type: str
    value: str
    max_length: int | None
    errors: list[str]
    choices: list[tuple[str, str]]


def filter_inputs(form: OrderFilterForm) -> list[FilterInput]:
    """The filter form's inputs as plain dicts for its template, with what the browser sent.

    Dicts, because a template looks each name up as a mapping key first: on Django's bound
    fields every lookup failed over to an attribute, and the four inputs took a tenth of the
    orders page."""
    return [
        FilterInput(
            id=f"id_{name}",
            name=name,
            label=str(field.label),
            input_type=getattr(field.widget, "input_type", "text"),
            # `in` first: a missing key costs QueryDict.get an exception.
            value=str(form.data.get(name, "")) if name in form.data else "",
            max_length=getattr(field, "max_length", None),
            errors=[str(error) for error in form.errors.get(name, [])],
            choices=[(str(value), str(label)) for value, label in getattr(field, "choices", [])],
        )
        for name, field in form.fields.items()
    ]
