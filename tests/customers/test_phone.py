from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customers.phone import InvalidPhoneNumber, mask_phone_number, normalize_mobile_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0712345678", "+254712345678"),
        ("+254712345678", "+254712345678"),
        ("254712345678", "+254712345678"),
        ("+254 712 345 678", "+254712345678"),
        ("+254700070007", "+254700070007"),
        ("+447911123456", "+447911123456"),
    ],
)
def test_numbers_are_normalized_to_e164(raw, expected):
    assert normalize_mobile_number(raw, region="KE") == expected


@pytest.mark.parametrize(
    "raw",
    [
        "+25470007007",  # one digit short: the original README's example
        "not a number",
        "",
        "+254202222222",  # a Nairobi landline: cannot receive SMS
        "12",
    ],
)
def test_invalid_or_non_mobile_numbers_are_rejected(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_mobile_number(raw, region="KE")


@given(st.text(max_size=40))
def test_arbitrary_text_either_normalizes_or_raises_invalid(raw):
    try:
        result = normalize_mobile_number(raw, region="KE")
    except InvalidPhoneNumber:
        return
    assert result.startswith("+")
    assert result[1:].isdigit()


def test_masking_keeps_country_code_and_last_two_digits():
    assert mask_phone_number("+254712345678") == "+254*******78"
    assert "12345" not in mask_phone_number("+254712345678")
