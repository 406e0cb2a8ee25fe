"""Digit runs: digit groups joined by separators, in any digit script, with ignorable characters anywhere.

The numbers pass looks for card numbers and personnummer inside runs; the CVC pass uses runs to tell a
standalone code from a piece of a longer number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from router.masking._text import IGNORABLE, SEPARATORS, ascii_digits

# A digit group: digits with ignorable characters between them.
GROUP = re.compile(rf"\d(?:[{IGNORABLE}]*\d)*")
_ASCII_GROUPS = re.compile(r"[0-9]+")
_SPLIT = re.compile(rf"[{IGNORABLE}]*[{SEPARATORS}][{SEPARATORS}{IGNORABLE}]*")  # between groups
_GAP = re.compile(rf"(?<=\d)[{IGNORABLE}]*[{SEPARATORS}][{SEPARATORS}{IGNORABLE}]*(?=\d)")
_IGNORABLE_CHARS = re.compile(rf"[{IGNORABLE}]+")
DECIMAL_POINTS = (".", "\uff0e")

# Between two groups of a run: up to 8 separators, where a full stop is not followed by whitespace (that ends
# a sentence: "2000-06-09. 0138-00 00 00" is two numbers), or a lone "+" ("121212+1212"; " +46" starts a
# phone number).
_PLAIN_SEPARATORS = SEPARATORS.replace(".", "").replace("\uff0e", "").replace("+", "").replace("\uff0b", "")
RUN_GAP = rf"(?:(?:[.．](?!\s)|[{_PLAIN_SEPARATORS}{IGNORABLE}]){{1,8}}|[+＋])"
# Digit runs. Each starts with \d so that the regex engine skips ahead to digits, and the lookahead drops
# most runs too short to matter (fewer than ten characters) before Python sees them. _RUN_FAST takes any
# separator; runs() cuts its runs with _RUN where needed.
_RUN = re.compile(rf"\d(?=[\d{SEPARATORS}{IGNORABLE}]{{9}})[\d{IGNORABLE}]*(?:{RUN_GAP}\d[\d{IGNORABLE}]*)*")
_RUN_FAST = re.compile(
    rf"\d(?=[\d{SEPARATORS}{IGNORABLE}]{{9}})[\d{IGNORABLE}]*(?:[{SEPARATORS}{IGNORABLE}]{{1,8}}\d[\d{IGNORABLE}]*)*"
)

# The replacement tokens, and a token right before or after a run (through separators only).
MASK_TOKEN = r"(?:\[kort ••••[0-9]{4}\]|\[personnummer\]|\[cvc •••\])"
MASK_TOKEN_RX = re.compile(MASK_TOKEN)
TOKEN_BEFORE_RUN = re.compile(rf"{MASK_TOKEN}[{SEPARATORS}{IGNORABLE}]{{0,8}}\Z")
TOKEN_AFTER_RUN = re.compile(rf"[{SEPARATORS}{IGNORABLE}]{{0,8}}{MASK_TOKEN}")


def runs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the digit runs of `text`: found with plain separators, and cut where a full stop ends
    a sentence or a "+" is not alone (rare: only runs holding "." or "+" are looked at again)."""
    for match in _RUN_FAST.finditer(text):
        found = match.group()
        if "." in found or "+" in found or "．" in found or "＋" in found:
            for piece in _RUN.finditer(text, match.start(), match.end()):
                yield piece.span()
        else:
            yield match.span()


def groups_of(run: str) -> list[str]:
    """The digit groups of a run, as ASCII digits."""
    if run.isascii():
        return _ASCII_GROUPS.findall(run)
    return [ascii_digits(group) for group in _SPLIT.split(run)]


def gaps_of(run: str) -> list[str]:
    """The separators between the groups of a run, without ignorable characters."""
    return [_IGNORABLE_CHARS.sub("", gap) for gap in _GAP.findall(run)]
