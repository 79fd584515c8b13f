"""What an SMS costs: the GSM 03.38 alphabet, and how many segments a text takes.

A pure module (no Django): the rules are fixed by 3GPP TS 23.038 and TS 23.040.

- A text made only of the GSM 7-bit default alphabet and its extension table travels as
  `GSM-7`: 160 septets in one SMS, or 153 a segment once it has to be split (the other 7
  carry the concatenation header). Extension characters (`^ { } \\ [ ~ ] | €` and form feed)
  are sent as an escape plus a character: they count twice, and a pair is never split.
- Any other character turns the whole message into `UCS-2`: 70 UTF-16 code units in one
  SMS, 67 a segment; a character outside the Basic Multilingual Plane (an emoji) is a
  surrogate pair that counts twice and is never split.

`normalise` replaces the characters that have a plain GSM equivalent (curly quotes, dashes,
the ellipsis, exotic spaces) so that one of them does not double the cost of a message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# The default alphabet, in code-point order 0x00-0x7F (0x1B, the escape to the extension
# table, is not a character of its own).
BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM_7 = 160
SEGMENT_GSM_7 = 153
SINGLE_UCS_2 = 70
SEGMENT_UCS_2 = 67

_PLAIN: dict[int, str] = {
    **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043"), "-"),
    ord("\u2026"): "...",
    # No-break, figure, thin, hair, en, em, ideographic... spaces, and the tab: a space.
    **dict.fromkeys([0x09, 0xA0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000], " "),
    # Invisible characters (zero-width spaces and joiners, byte-order mark, soft hyphen).
    **dict.fromkeys([0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD], ""),
}


@dataclass(frozen=True)
class Measure:
    encoding: str
    segments: int
    # Septets (GSM-7) or UTF-16 code units (UCS-2).
    units: int


def normalise(text: str) -> str:
    """`text` with every character that has a plain GSM equivalent replaced by it.

    NFC first, so a letter written as base plus combining accent (`e` + U+0301) becomes the
    one GSM character `é` where there is one.
    """
    return unicodedata.normalize("NFC", text).translate(_PLAIN)


def is_gsm_7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def measure(text: str) -> Measure:
    """The encoding `text` is sent in and the number of segments it takes (at least one)."""
    if is_gsm_7(text):
        sizes = [2 if ch in EXTENSION else 1 for ch in text]
        return Measure(GSM_7, _segments(sizes, SINGLE_GSM_7, SEGMENT_GSM_7), sum(sizes))
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return Measure(UCS_2, _segments(sizes, SINGLE_UCS_2, SEGMENT_UCS_2), sum(sizes))


def _segments(sizes: list[int], single: int, per_segment: int) -> int:
    """How many segments characters of these sizes fill, a character never split in two."""
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > per_segment:
            segments, used = segments + 1, 0
        used += size
    return segments
