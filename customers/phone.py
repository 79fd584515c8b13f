"""Phone numbers: parsed with `phonenumbers`, stored and sent as E.164 strings."""

from __future__ import annotations

import phonenumbers
from django.conf import settings

# SMS only reaches mobiles; some numbering plans cannot tell mobile from fixed line.
_SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class InvalidPhoneNumber(ValueError):
    pass


def normalize_mobile_number(raw: str, *, region: str | None = None) -> str:
    """Return `raw` as an E.164 mobile number, reading national numbers in `region`.

    Raises `InvalidPhoneNumber` with a message fit to show the user.
    """
    region = region or settings.PHONE_DEFAULT_REGION
    if not raw.isascii():
        # phonenumbers would read Arabic-Indic or full-width digits as 0-9; numbers here are
        # ASCII digits only, everywhere, so what is stored is what was typed.
        raise InvalidPhoneNumber("Enter the number with the digits 0-9, e.g. +254712345678.")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("Enter a phone number, e.g. +254712345678.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            "This is not a valid phone number; include the country code, e.g. +254712345678."
        )
    if phonenumbers.number_type(number) not in _SMS_CAPABLE:
        raise InvalidPhoneNumber("This number cannot receive SMS; enter a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone_number(e164: str) -> str:
    """Keep the country code and the last two digits, so logs can tell numbers apart without
    holding anyone's number."""
    if len(e164) <= 6:
        return "***"
    return f"{e164[:4]}{'*' * (len(e164) - 6)}{e164[-2:]}"
