"""What the text around a digit run says about it: left alone as a whole, or an amount."""

from __future__ import annotations

import re

from router.masking._runs import MASK_TOKEN_RX

# The rest of a whitespace-delimited token around a run glued to letters: hexadecimal (UUIDs, hashes) or a
# mix of letters and digits makes the run a piece of an identifier.
_TOKEN_BEFORE = re.compile(r"\S{0,64}\Z")
_TOKEN_AFTER = re.compile(r"\S{0,64}")
_HEX = re.compile(r"[0-9A-Fa-f_-]+")
_MIXED = re.compile(r"[A-Za-z][^\W_]*[0-9]|[0-9][^\W_]*[A-Za-z]")
CURRENCY_AFTER = re.compile(r"\s*(?:kr\b|kronor\b|sek\b|eur\b|usd\b|:-|€|\$)", re.IGNORECASE)
_IBAN_BEFORE = re.compile(r"(?<![^\W\d_])[A-Z]{2}\Z")  # "SE45 5000 ...": two capitals glued to the run
_OCR_BEFORE = re.compile(r"\bocr(?:[\s-]*(?:nummer|numret|nr|number|no|ref\w*))?[\s:.#-]*\Z", re.IGNORECASE)


def labelled(text: str, start: int, end: int) -> bool:
    """The run `text[start:end]` is left alone as a whole: a phone number after "+", an OCR reference, an
    IBAN, or a piece of an identifier (glued to letters, in a hexadecimal token or one that mixes letters and
    digits: "4d90f551-8568-4935-821b-8cb9fa50ecd7")."""
    before = text[max(0, start - 24) : start]
    if before[-1:] in ("+", "＋"):
        return True  # "+46 70 …": an international phone number
    if "ocr" in before.lower() and _OCR_BEFORE.search(before):
        return True
    if before[-1:].isupper() and _IBAN_BEFORE.search(before[-3:]):
        return True
    # glued to a letter, directly or by the "-" or "_" that join the parts of identifiers
    before = before[:-1] if before[-1:] in ("-", "_") else before
    after = text[end + 1 : end + 2] if text[end : end + 1] in ("-", "_") else text[end : end + 1]
    if not ((before[-1:].isascii() and before[-1:].isalpha()) or (after.isascii() and after.isalpha())):
        return False
    # a mask token stands for the digits it replaced, so that masking again decides the same
    left_window, right_window = text[max(0, start - 80) : start], text[end : end + 80]
    if "[" in left_window or "[" in right_window:
        left_window, right_window = (
            MASK_TOKEN_RX.sub("0", left_window),
            MASK_TOKEN_RX.sub("0", right_window),
        )
    left_match = _TOKEN_BEFORE.search(left_window)
    right_match = _TOKEN_AFTER.match(right_window)
    # Both patterns match the empty string, so neither is ever None; "" keeps the types honest.
    left = left_match.group() if left_match is not None else ""
    right = right_match.group() if right_match is not None else ""
    sides = (left + right, left, right)
    return any(_HEX.fullmatch(side) or _MIXED.search(side) for side in sides)
