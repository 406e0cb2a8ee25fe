"""CVC codes: a standalone 3-4 digit number in card context, in Swedish and English.

Runs after card numbers are masked, on that text. A code is masked when

* a card-security phrase comes at most four words before it ("cvc 123", "säkerhetskoden är 456", "the three
  digits on the back are 123", "siffrorna på baksidan: 1234") or at most two connecting words after it
  ("123 är cvc-koden", "123 (CVV)", "123 on the back");
* a weaker word ("kod", "koden", "code", "siffrorna", "digits") comes at most four words before it and the
  message is about a card (a card word such as "kortet"/"card", or a masked card number);
* it follows a masked card number within four words, with an optional expiry ("[kort ••••1111] 12/27 123").

Never a code: a number glued to other digits ("070-123 45 67", "1.299") or followed by a letter ("123abc",
part of an identifier), part of a run of ten digits or more (see ``_standalone``), followed by a currency
("123 kr"), or with five digits or more. The gaps never cross
a mask token ("[", "]"), so masking twice changes nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from router.masking._runs import RUN_GAP
from router.masking._text import IGNORABLE, SEPARATORS

KIND_CVC = "cvc"
CVC_TOKEN = "[cvc •••]"

# Starts with \d so that the regex engine skips ahead to digits; the lookbehinds after that first digit keep
# out a piece of a longer number ("12345", "1.299", "070-123") and the last digits of a card token.
_CODE = re.compile(
    rf"\d(?<![\d•]\d)(?<!\d[.,:/\-–—]\d)(?:[{IGNORABLE}]*\d){{2,3}}(?![{IGNORABLE}]*\d)(?![.,:/\-–—]\d)"
    r"(?![A-Za-z0-9])(?!\s*(?i:kr\b|kronor\b|sek\b|eur\b|usd\b|:-|€|\$|%))"
)
# Digit runs as the numbers pass joins digit groups into them (without its lower bound on the length).
_LOOSE_RUN = re.compile(rf"\d[\d{IGNORABLE}]*(?:{RUN_GAP}\d[\d{IGNORABLE}]*)*")
_JOINED_BEFORE = re.compile(rf"\d[{SEPARATORS}{IGNORABLE}]{{1,8}}\Z")
_JOINED_AFTER = re.compile(rf"[{SEPARATORS}{IGNORABLE}]{{1,8}}\d")
_GROUP_BEFORE = re.compile(rf"\d[{IGNORABLE}]+\Z")  # "3399\u200b948": a piece of one digit group
# "070 123": a piece of a longer number. A code masked before counts as the digits it was, so that
# masking again decides the same.
_DIGIT_BEFORE = re.compile(rf"(?:\d|\[cvc •••\])[{SEPARATORS}]\Z")
_DIGIT_AFTER = re.compile(rf"[{SEPARATORS}](?:\d|\[cvc •••\])")

_BACK = r"(?:the\s+)?(?:kortets\s+)?(?:back(?:side)?|baksidan|reverse)"
_STRONG = (
    r"(?:cvc|cvv|cvn|cav|csc)2?(?:-?kod(?:en)?|-?code|-?nummer|-?numret|:n|:en)?|cid"
    r"|s[äa]kerhetskod[^\W\d_]*|s[äa]kerhetsnumm?e?r[^\W\d_]*|kortkod[^\W\d_]*|kontrollkod[^\W\d_]*|kontrollsiffr[^\W\d_]*"
    r"|(?:card\s+)?security\s+(?:code|number)|card\s+verification(?:\s+(?:code|value|number))?"
    r"|card\s+code|(?:three|four|3|4)[\s-]?digits?\s+(?:security\s+)?code"
    r"|(?:tre|fyra|3|4)[\s-]?siffriga\s+(?:säkerhets|sakerhets)?koden"
    rf"|(?:kod(?:en)?|siffr(?:a|or|orna)|numret|nummer|digits?|numbers?|code)\s+(?:p[åa]|on|at)\s+{_BACK}"
    r"(?:\s+(?:av|p[åa]|of)\s+(?:the\s+|my\s+|mitt\s+)?(?:kortet|card))?"
    r"|back\s+of\s+(?:the\s+|my\s+)?card|baksidan\s+(?:av|p[åa])\s+(?:mitt\s+)?kortet"
    rf"|(?:p[åa]|on)\s+{_BACK}"
)
_KEYWORDS = re.compile(
    r"(?<![\w\[])(?:"
    rf"(?P<strong>{_STRONG})"
    r"|(?P<weak>kod(?:en)?|code|siffr(?:or|orna)|digits)"
    r"|(?P<card>(?:bank|kredit|betal|debet|visa|master)?kort(?:et|ets|nummer|numret)?|(?:credit\s+|debit\s+)?card"
    r"|mastercard|amex|american\s+express|maestro)"
    r")(?![^\W\d_])"  # a whole word, though digits may follow: "cvc123"
    r"|(?P<masked>\[kort ••••\d{4}\])",
    re.IGNORECASE,
)
# A card-security word right before the code, the common case, found without the keyword lookup: it decides
# as `_KEYWORDS` and `_WORDS_BEFORE` would.
_QUICK = re.compile(
    r"(?<![\w\[])(?:cvc|cvv|cvn|cav|csc)2?(?:-?kod(?:en)?|-?code|:n)?[^\w\[\]]{0,3}\Z", re.IGNORECASE
)
_WORDS_BEFORE = re.compile(r"[^\w\[\]]*(?:[^\W\d_]+[^\w\[\]]*){0,4}")
_AFTER_MASKED_CARD = re.compile(r"[^\w\[\]]*(?:(?:[^\W\d_]+|\d{1,2}\s*/\s*(?:\d{4}|\d{2}))[^\w\[\]]*){0,4}")
_WORDS_AFTER = re.compile(
    r"[^\w\[\]]*(?:(?:är|var|is|was|are|the|my|min|mitt|den|det|som|as|it's)[^\w\[\]]*){0,2}", re.IGNORECASE
)
_MAX_GAP = 80


def _masks(text: str, code: re.Match[str], keywords: _Keywords, card_context: bool) -> bool:
    start, end = code.span()
    found = keywords.found
    k = bisect_right(keywords.ends, start)
    while k > 0:  # the keywords before the code, nearest first
        k -= 1
        kw = found[k]
        if start - kw.end() > _MAX_GAP:
            break
        kind = kw.lastgroup
        if kind == "masked":
            if _AFTER_MASKED_CARD.fullmatch(text, kw.end(), start) and not _DIGIT_AFTER.match(text, end):
                return True
        elif _WORDS_BEFORE.fullmatch(text, kw.end(), start):
            if kind == "strong":
                return True
            if kind == "weak" and card_context:  # and not a piece of a longer number ("koden 123 45")
                glued = _DIGIT_BEFORE.search(text, max(0, start - 10), start) or _DIGIT_AFTER.match(text, end)
                if not glued:
                    return True
    for k in range(bisect_left(keywords.starts, end), len(found)):  # "123 är cvc-koden"
        kw = found[k]
        if kw.start() - end > _MAX_GAP:
            break
        if kw.lastgroup == "strong":
            return _WORDS_AFTER.fullmatch(text, end, kw.start()) is not None
    return False


class _Keywords:
    """Keyword matches in text order, with their starts and ends for bisecting."""

    __slots__ = ("ends", "found", "starts")

    def __init__(self, found: list[re.Match[str]]) -> None:
        self.found = found
        self.starts = [kw.start() for kw in found]
        self.ends = [kw.end() for kw in found]


# Every keyword holds one of these (lower case); a keyword match is tried only at the start of the word
# holding one, and for some also at the starts of the words before it ("numret på kortets baksidan").
_ANCHOR_WORDS_BEFORE = {
    "cv": 0, "cav": 0, "csc": 0, "cid": 0, "kerhets": 0, "kort": 0, "kontroll": 0, "secur": 0, "kod": 0,
    "code": 0, "amex": 0, "americ": 0, "maestro": 0,
    "card": 1, "digit": 1, "siffr": 1, "back": 3, "baksid": 3, "revers": 3,
}  # fmt: skip
_ANCHOR = re.compile("|".join(_ANCHOR_WORDS_BEFORE))


def _keywords(text: str) -> list[re.Match[str]]:
    """The keyword matches of `text`, as ``_KEYWORDS.finditer`` finds them, but trying only near anchors."""
    lowered = text.lower()
    if len(lowered) != len(text):  # lower() changed lengths ("İ"): positions would not line up
        return list(_KEYWORDS.finditer(text))
    starts: set[int] = set()
    for anchor in _ANCHOR.finditer(lowered):
        start = anchor.start()
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        starts.add(start - 1 if start > 0 and text[start - 1] == "[" else start)
        for _ in range(_ANCHOR_WORDS_BEFORE[anchor.group()]):
            while start > 0 and not text[start - 1].isalnum():
                start -= 1
            if start == 0:
                break
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            starts.add(start)
    found: list[re.Match[str]] = []
    end = -1
    for start in sorted(starts):
        if start >= end:
            match = _KEYWORDS.match(text, start)
            if match is not None:
                found.append(match)
                end = match.end()
    return found


def _standalone(text: str, codes: list[re.Match[str]]) -> list[re.Match[str]]:
    """The codes that are a whole digit group, in a run of fewer than ten digits.

    A longer run is one the numbers pass has looked at and left alone (an OCR reference, an IBAN, a decimal
    number); masking a piece of it would make the rest a different run, and masking again would differ.
    """
    runs: list[tuple[int, int]] = []
    starts: list[int] = []
    kept = []
    digits: dict[int, int] = {}  # run index: its digits
    for code in codes:
        start, end = code.span()
        if not _JOINED_BEFORE.search(text, max(0, start - 12), start) and not _JOINED_AFTER.match(text, end):
            kept.append(code)  # no other digit joined to it
            continue
        if _GROUP_BEFORE.search(text, max(0, start - 12), start):
            continue
        if not runs:
            runs = [(m.start(), m.end()) for m in _LOOSE_RUN.finditer(text)]
            starts = [run_start for run_start, _end in runs]
        k = bisect_right(starts, start) - 1
        run_start, run_end = runs[k]
        if run_end - run_start == end - start:
            kept.append(code)  # the run is the code itself
            continue
        if k not in digits:
            digits[k] = sum(ch.isdecimal() for ch in text[run_start:run_end])
        if digits[k] < 10:
            kept.append(code)
    return kept


def mask_cvc(text: str) -> str:
    """Replace CVC codes in (card-masked) `text` with ``[cvc •••]``; returns `text` itself when none."""
    codes = list(_CODE.finditer(text))
    if not codes:
        return text
    masked = []
    rest = []
    for code in codes:  # the common case first: "cvc 123", "CVV: 1234"
        if _QUICK.search(text, max(0, code.start() - 16), code.start()):
            masked.append(code)
        else:
            rest.append(code)
    if rest:
        found = _keywords(text)
        if found:
            keywords = _Keywords(found)
            card_context = any(kw.lastgroup in ("card", "masked") for kw in found)
            masked += [code for code in rest if _masks(text, code, keywords, card_context)]
            masked.sort(key=lambda code: code.start())
    if masked:
        masked = _standalone(text, masked)
    if not masked:
        return text
    parts: list[str] = []
    pos = 0
    for code in masked:
        parts += (text[pos : code.start()], CVC_TOKEN)
        pos = code.end()
    parts.append(text[pos:])
    return "".join(parts)
