"""Character classes shared by the masking passes, and the Luhn check.

A *digit* is any Unicode decimal digit (category Nd: ASCII, full-width, Arabic-Indic, mathematical bold, ...),
which is what ``\\d`` matches in a ``str`` pattern; ``ascii_digits`` maps it to ASCII with
``unicodedata.decimal``. Positions always refer to the original text, so the masked output keeps everything
around a number exactly as it was typed.
"""

from __future__ import annotations

import unicodedata

# Never split a digit group: zero-width and other format characters (ZWSP, ZWJ, word joiner, BOM, soft
# hyphen, bidi marks), variation selectors and combining marks (keycaps "1️⃣", underlines).
IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
# Split digit groups: whitespace of every kind (NBSP, narrow NBSP, figure and thin spaces, ideographic space,
# tab, newline) and the punctuation people group numbers with: . - / _ + and their dash, slash and
# full-width variants. Not "," or ":" (decimal amounts, lists, times).
SEPARATORS = (
    " \t\n\r\f\v\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    ".\\-/_+\u00b7\u2010-\u2015\u2024\u2027\u2043\u2044\u2212\u2215\u2e3a\u2e3b"
    "\ufe58\ufe63\uff0b\uff0d\uff0e\uff0f\uff3f"
)


def ascii_digits(group: str) -> str:
    """ASCII digits of a group of Unicode decimal digits, dropping the ignorable characters inside it."""
    if group.isascii():
        return group
    out = []
    for ch in group:
        value = unicodedata.decimal(ch, -1)
        if value >= 0:
            out.append(chr(48 + value))
    return "".join(out)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2·d, minus 9 when over 9


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits."""
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(digits[-1::-2].encode()) + sum(doubled.encode()) - 48 * len(digits)) % 10 == 0
