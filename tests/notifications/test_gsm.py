"""notifications/gsm.py: the GSM 03.38 alphabet, normalisation, encoding and segments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.gsm import BASIC, EXTENSION, GSM_7, UCS_2, measure, normalise

# 3GPP TS 23.038, table 6.2.1.1, typed in row by row (code points 0x00-0x7F; 0x1B is the
# escape), and the characters of table 6.2.1.1.1 (the extension table) as a separate check.
SPEC_BASIC = (
    "@Δ 0¡P¿p"
    "£_!1AQaq"
    '$Φ"2BRbr'
    "¥Γ#3CScs"
    "èΛ¤4DTdt"
    "éΩ%5EUeu"
    "ùΠ&6FVfv"
    "ìΨ'7GWgw"
    "òΣ(8HXhx"
    "ÇΘ)9IYiy"
    "\nΞ*:JZjz"
    "Ø+;KÄkä"
    "øÆ,<LÖlö"
    "\ræ-=MÑmñ"
    "Åß.>NÜnü"
    "åÉ/?O§oà"
)
SPEC_EXTENSION = "\f^{}\\[~]|€"


def test_the_alphabet_is_the_standards_127_characters_and_10_extensions():
    assert frozenset(SPEC_BASIC) == BASIC
    assert len(BASIC) == 127
    assert frozenset(SPEC_EXTENSION) == EXTENSION
    assert not BASIC & EXTENSION


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("O\u2019Brien \u2018quoted\u2019", "O'Brien 'quoted'"),
        ("\u201cHello\u201d \u201eLow\u201f \u00abguillemets\u00bb", '"Hello" "Low" "guillemets"'),
        ("a\u2013b\u2014c\u2212d\u2010e\u2011f", "a-b-c-d-e-f"),
        ("Wait\u2026", "Wait..."),
        ("a\u00a0b\u2009c\u202fd\u2007e\u3000f\tg", "a b c d e f g"),
        ("zero\u200bwidth\u00adsoft\ufeff", "zerowidthsoft"),
        ("Jose\u0301", "Jos\u00e9"),  # a combining accent becomes the one GSM letter
        ("plain @ £ € {text}", "plain @ £ € {text}"),
    ],
)
def test_characters_with_a_plain_equivalent_are_replaced(text, plain):
    assert normalise(text) == plain
    assert measure(normalise(text)).encoding == GSM_7


def test_characters_without_a_plain_equivalent_are_kept():
    assert normalise("Zoë 李 فاطمة 😀") == "Zoë 李 فاطمة 😀"


@pytest.mark.parametrize(
    ("text", "segments", "units"),
    [
        ("", 1, 0),
        ("a" * 160, 1, 160),
        ("a" * 161, 2, 161),
        ("a" * 306, 2, 306),
        ("a" * 307, 3, 307),
        # Extension characters count two septets.
        ("€" * 80, 1, 160),
        ("€" * 80 + "a", 2, 161),
        ("[" + "a" * 159, 2, 161),
        # An escape pair is never split across segments: 152 + "€" does not fit in 153.
        ("a" * 152 + "€" + "a" * 153, 3, 307),
        ("a" * 151 + "€" + "a" * 153, 2, 306),
    ],
)
def test_gsm7_segments(text, segments, units):
    cost = measure(text)
    assert (cost.encoding, cost.segments, cost.units) == (GSM_7, segments, units)


@pytest.mark.parametrize(
    ("text", "segments", "units"),
    [
        ("\u674e" * 70, 1, 70),
        ("\u674e" * 71, 2, 71),
        ("\u674e" * 134, 2, 134),
        ("\u674e" * 135, 3, 135),
        # One character outside the alphabet makes the whole message UCS-2.
        ("a" * 69 + "\u0641", 1, 70),
        ("a" * 70 + "\u0641", 2, 71),
        # An emoji is a surrogate pair: two units, never split.
        ("😀" * 35, 1, 70),
        ("😀" * 35 + "a", 2, 71),
        ("a" * 66 + "😀" + "a" * 67, 3, 135),
    ],
)
def test_ucs2_segments(text, segments, units):
    cost = measure(text)
    assert (cost.encoding, cost.segments, cost.units) == (UCS_2, segments, units)


@settings(derandomize=True, database=None, max_examples=200)
@given(st.text())
def test_segments_hold_every_unit_and_none_is_more_than_needed(text):
    cost = measure(text)
    single, per_segment = (160, 153) if cost.encoding == GSM_7 else (70, 67)
    if cost.units <= single:
        assert cost.segments == 1
    else:
        # Room for every unit, and each segment but the last holds at least all but one unit
        # of its room (a pair that would not fit moves whole to the next).
        assert cost.units <= cost.segments * per_segment
        assert (cost.segments - 1) * (per_segment - 1) < cost.units


@settings(derandomize=True, database=None, max_examples=200)
@given(st.text())
def test_normalising_is_idempotent_and_never_leaves_a_mapped_character(text):
    once = normalise(text)
    assert normalise(once) == once
    assert not set(once) & set("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u200b")
