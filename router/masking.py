"""Mask payment card numbers, CVC codes and Swedish personnummer in chat text before it is stored or shown.

Passes run in this order, each on the output of the one before:

1. personnummer: the strictest shape (date + Luhn, 10 or 12 digits, at most one ``-``/``+``), and it may
   not be glued to further digits by ``-``/``+``, so it is never a piece of a dash-grouped card number;
2. card numbers: 13-19 Luhn-valid digits; a masked personnummer holds no digits, so its digits can never
   join a neighbouring group into a card-shaped run (a bare personnummer has 10 or 12 digits, never 13+);
3. CVC: runs last so that digits of a card number are never mistaken for a code, and so that a 3-4 digit
   number right after a masked card ("[kort ••••1111] 123") is caught as the code.

Masking is idempotent: the replacement tokens hold no card-shaped digit runs and are not CVC keywords.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

__all__ = [
    "KIND_CARD",
    "KIND_CVC",
    "KIND_PERSONNUMMER",
    "MaskResult",
    "contains_card_details",
    "luhn_valid",
    "mask_sensitive",
]

KIND_CARD = "card"
KIND_CVC = "cvc"
KIND_PERSONNUMMER = "personnummer"
_KIND_ORDER = (KIND_CARD, KIND_CVC, KIND_PERSONNUMMER)

PERSONNUMMER_TOKEN = "[personnummer]"
CVC_TOKEN = "[cvc •••]"


@dataclass(frozen=True, slots=True)
class MaskResult:
    """Masked text, whether anything was masked, and which kinds (in the order card, cvc, personnummer)."""

    text: str
    masked: bool
    kinds: tuple[str, ...]


def contains_card_details(result: MaskResult) -> bool:
    """True when the customer sent a card number or a CVC (the bot then warns them not to)."""
    return KIND_CARD in result.kinds or KIND_CVC in result.kinds


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --- personnummer / samordningsnummer --------------------------------------------------------------------

# Each pattern opens with a lookahead on its first character: it lets the regex engine skip ahead quickly.
_PNR = re.compile(
    r"(?=[0-9])(?<![0-9])(?<![0-9][-+])"
    r"(?P<century>1[89]|20)?(?P<yy>[0-9][0-9])(?P<mm>0[1-9]|1[0-2])(?P<dd>[0-9][0-9])"
    r"[-+]?(?P<tail>[0-9]{4})"
    r"(?![0-9])(?![-+][0-9])"
)

_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_pnr(m: re.Match[str]) -> bool:
    century, yy, mm, dd, tail = m.group("century", "yy", "mm", "dd", "tail")
    day = int(dd)
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    month = int(mm)
    if century:
        leap = calendar.isleap(int(century + yy))
    else:  # century unknown: accept 29 February whenever either reading could be a leap year
        leap = int(yy) % 4 == 0
    days = 29 if month == 2 and leap else _MONTH_DAYS[month]
    return 1 <= day <= days and luhn_valid(yy + mm + dd + tail)


def _pnr_sub(m: re.Match[str]) -> str:
    return PERSONNUMMER_TOKEN if _valid_pnr(m) else m.group()


# --- card numbers ----------------------------------------------------------------------------------------

# A run of digit groups joined by single spaces or dashes; card spans are chosen inside it on group borders.
# The second lookahead skips, inside the regex engine, runs too short to hold 13 digits.
_DIGIT_RUN = re.compile(r"(?=[0-9])(?<![0-9])(?=[0-9 -]{13})[0-9]+(?:[ -][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
# Preference among Luhn-valid spans of one run, most common card lengths first.
_LENGTH_RANK = {16: 0, 15: 1, 19: 2, 14: 3, 13: 4, 18: 5, 17: 6}


def _canonical(lengths: list[int]) -> bool:
    """Contiguous, groups of four (last one shorter), or the Amex/Diners 4-6-5 / 4-6-4 layouts."""
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4


def _card_spans(groups: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (first, last) group indices of card numbers inside one digit run.

    Spans start and end on group borders, inner groups have 3-6 digits, and no card starts with 0. When
    several Luhn-valid spans overlap, the winner is the canonically grouped one, then the commonest length
    (16, 15, 19, ...), then the leftmost: in "4111 1111 1111 1111 123" the card is the first 16 digits.
    """
    lengths = [len(g) for g in groups]
    digits = "".join(groups)
    n = len(groups)
    if 15 <= len(digits) <= 16 and digits[0] != "0" and _canonical(lengths) and luhn_valid(digits):
        return [(0, n - 1)]  # the common case: the whole run is the card, and no span inside can beat it
    offsets = [0]
    for length in lengths:
        offsets.append(offsets[-1] + length)
    candidates: list[tuple[tuple[int, int, int], int, int]] = []
    for i in range(n):
        if groups[i][0] == "0":
            continue
        for j in range(i, n):
            if j > i and not 3 <= lengths[j - 1] <= 6:
                break
            total = offsets[j + 1] - offsets[i]
            if total > 19:
                break
            if total >= 13 and luhn_valid(digits[offsets[i] : offsets[j + 1]]):
                key = (0 if _canonical(lengths[i : j + 1]) else 1, _LENGTH_RANK[total], i)
                candidates.append((key, i, j))
    if len(candidates) <= 1:
        return [(i, j) for _key, i, j in candidates]
    chosen: list[tuple[int, int]] = []
    used: set[int] = set()
    for _key, i, j in sorted(candidates):
        if used.isdisjoint(range(i, j + 1)):
            chosen.append((i, j))
            used.update(range(i, j + 1))
    chosen.sort()
    return chosen


def _mask_cards(text: str) -> str:
    parts: list[str] = []
    pos = 0
    for run in _DIGIT_RUN.finditer(text):
        s = run.group()
        if len(s) < 13:
            continue
        start = run.start()
        if s.isdigit():  # contiguous: the run is the only possible span
            if len(s) <= 19 and s[0] != "0" and luhn_valid(s):
                parts += (text[pos:start], f"[kort ••••{s[-4:]}]")
                pos = run.end()
            continue
        if len(s) - s.count(" ") - s.count("-") < 13:
            continue
        found = list(_GROUP.finditer(s))
        for i, j in _card_spans([g.group() for g in found]):
            last4 = "".join(g.group() for g in found[i : j + 1])[-4:]
            parts += (text[pos : start + found[i].start()], f"[kort ••••{last4}]")
            pos = start + found[j].end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


# --- CVC ------------------------------------------------------------------------------------------------

_GAP = r"[^\w\[\]]*"  # separators only; never crosses a mask token
_CVC = re.compile(
    r"(?=[cskCSK\[])(?:"
    r"(?<![\[\w])(?:cvc2?|cvv2?|cav2|cid|s[äa]kerhetskod\w*|kortkod\w*|"
    r"kod(?:en)?\s+p[åa]\s+(?:kortets\s+)?baksidan|"
    r"security\s+code|card\s+(?:security\s+|verification\s+)?code|code\s+on\s+the\s+back)"
    r"(?:" + _GAP + r"[^\W0-9]+){0,3}?" + _GAP + r"|"  # a few words after the card word
    r"\[kort ••••[0-9]{4}\]" + _GAP + r"(?:[0-9]{1,2}/[0-9]{2,4}" + _GAP + r")?"  # right after a masked card
    r")"
    r"(?<![0-9])(?P<code>[0-9]{3,4})"
    r"(?![0-9/]|[.,][0-9])(?!\s*(?:(?:kr|sek|kronor|eur|usd)\b|:-|€|\$))",
    re.IGNORECASE,
)


def _mask_cvc(text: str) -> str:
    parts: list[str] = []
    pos = 0
    for m in _CVC.finditer(text):
        parts.append(text[pos : m.start("code")])
        parts.append(CVC_TOKEN)
        pos = m.end("code")
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


# --- entry point ----------------------------------------------------------------------------------------

_ANY_DIGIT = re.compile(r"[0-9]")


def mask_sensitive(text: str) -> MaskResult:
    """Mask personnummer, then card numbers, then CVC codes (see the module docstring for why this order)."""
    kinds: set[str] = set()
    if _ANY_DIGIT.search(text) is None:  # fast path: nothing to mask without a digit
        return MaskResult(text, False, ())
    out = _PNR.sub(_pnr_sub, text)
    if out != text:
        kinds.add(KIND_PERSONNUMMER)
    carded = _mask_cards(out)
    if carded is not out:
        kinds.add(KIND_CARD)
    final = _mask_cvc(carded)
    if final is not carded:
        kinds.add(KIND_CVC)
    return MaskResult(final, final != text, tuple(k for k in _KIND_ORDER if k in kinds))
