"""Card numbers and personnummer inside *digit runs*, whatever the separators, grouping and digit script.

A digit run is a stretch of digit groups joined by separator sequences (1-4 separator characters, see
``_text.SEPARATORS``); ignorable characters (zero-width, combining marks) may sit anywhere and never split a
group. Within one run every span of whole groups is a candidate:

* **personnummer / samordningsnummer** -- 10 or 12 digits grouped as a date and a four-digit tail:
  ``YYMMDD·NNNN``, ``YY·MM·DD·NNNN``, ``YYYYMMDD·NNNN``, ``YYYY·MM·DD·NNNN`` or contiguous; a valid date
  (day + 60 for a samordningsnummer), a Luhn-valid last ten digits and, with the century written, a birth
  date before today;
* **card number** -- 13-19 digits, Luhn-valid, not starting with 0, every group but the last at least three
  digits long (dates, phone numbers, postcodes and amounts all have one- or two-digit inner groups). Any such
  grouping counts when the span is the whole run; a span inside a longer run must be grouped like a card
  (contiguous, fours, eights, Amex/Diners 4-6-5 / 4-6-4), so "ärende 48213 4111 1111 1111 1111" masks only
  the card.

Left alone on purpose: a number right after "OCR" (invoice references are Luhn-checked too), an IBAN (a run
glued to two capital letters), two YYYYMMDD dates back to back, and a number followed by a currency
("8112189876 kr").

Overlapping candidates are resolved per run by weighted interval scheduling: a candidate scores its digit
count, +4 when grouped like a card or personnummer, +4 when it is the whole run. The chosen set masks as many
digits as possible, and a run that is one valid number is always masked as that one number. Because every
candidate left out overlaps a chosen one, masking the output again changes nothing.
"""

from __future__ import annotations

import calendar
import datetime
import re

from router.masking._text import IGNORABLE, SEPARATORS, ascii_digits, luhn_valid

KIND_CARD = "card"
KIND_PERSONNUMMER = "personnummer"
PERSONNUMMER_TOKEN = "[personnummer]"

_GROUP_PATTERN = rf"\d(?:[{IGNORABLE}]*\d)*"
_GROUP = re.compile(_GROUP_PATTERN)
# The lookahead skips, inside the regex engine, every run too short to hold ten digits.
_RUN = re.compile(
    rf"(?=\d)(?=[\d{SEPARATORS}{IGNORABLE}]{{10}}){_GROUP_PATTERN}"
    rf"(?:[{IGNORABLE}]*(?:[{SEPARATORS}][{IGNORABLE}]*){{1,4}}{_GROUP_PATTERN})*"
)
_CURRENCY_AFTER = re.compile(r"\s*(?:kr\b|kronor\b|sek\b|eur\b|usd\b|:-|€|\$)", re.IGNORECASE)
_IBAN_BEFORE = re.compile(r"(?<![^\W\d_])[A-Z]{2}\Z")  # "SE45 5000 ...": two capitals glued to the run
_OCR_BEFORE = re.compile(r"\bocr(?:[\s-]*(?:nummer|numret|nr|number|no|ref\w*))?[\s:.#-]*\Z", re.IGNORECASE)

# personnummer shapes by the length of their first group
_PNR_SHAPES: dict[int, tuple[tuple[int, ...], ...]] = {
    10: ((10,),),
    6: ((6, 4),),
    2: ((2, 2, 2, 4),),
    12: ((12,),),
    8: ((8, 4),),
    4: ((4, 2, 2, 4),),
}
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

Group = tuple[str, int, int]  # ASCII digits, start and end in the original text


def _valid_date(year: int, month: int, day: int, *, century: bool) -> bool:
    """`year` is a full year when `century`, else two digits (then 29 February needs `year` % 4 == 0)."""
    if not 1 <= month <= 12 or day < 1:
        return False
    if month == 2 and day == 29:
        return calendar.isleap(year) if century else year % 4 == 0
    return day <= _MONTH_DAYS[month]


def valid_personnummer(digits: str) -> bool:
    """10 or 12 ASCII digits: a valid (birth or coordination) date and a Luhn-valid last ten digits."""
    if len(digits) == 12:
        if digits[:2] not in ("18", "19", "20"):
            return False
        year = int(digits[:4])
        short = digits[2:]
    else:
        short = digits
        year = int(digits[:2])
    month, day = int(short[2:4]), int(short[4:6])
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    if not _valid_date(year, month, day, century=len(digits) == 12) or not luhn_valid(short):
        return False
    return len(digits) == 10 or datetime.date(year, month, day) < datetime.date.today()


def _is_date8(digits: str) -> bool:
    return digits[:2] in ("19", "20") and _valid_date(
        int(digits[:4]), int(digits[4:6]), int(digits[6:8]), century=True
    )


def _card_like(lengths: list[int]) -> bool:
    """Contiguous, fours or eights before a last group no longer than them, or Amex/Diners 4-6-5 / 4-6-4."""
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n in (4, 8) for n in lengths[:-1]) and lengths[-1] <= max(lengths[:-1])


def _spans(text: str, groups: list[Group], run_start: int, run_end: int) -> list[tuple[int, int, str]]:
    """The chosen (first group, last group, kind) spans of one run."""
    n = len(groups)
    lengths = [len(g[0]) for g in groups]
    currency_after = _CURRENCY_AFTER.match(text, run_end) is not None
    iban = _IBAN_BEFORE.search(text, max(0, run_start - 3), run_start) is not None
    candidates: list[tuple[int, int, int, str]] = []  # (first, last, score, kind)
    for i in range(n):
        for shape in _PNR_SHAPES.get(lengths[i], ()):
            j = i + len(shape) - 1
            if j < n and tuple(lengths[i : j + 1]) == shape and not (currency_after and j == n - 1):
                digits = "".join(g[0] for g in groups[i : j + 1])
                if valid_personnummer(digits):
                    candidates.append(
                        (i, j, len(digits) + 4 + (4 if i == 0 and j == n - 1 else 0), KIND_PERSONNUMMER)
                    )
        if iban or groups[i][0][0] == "0":
            continue
        total = 0
        for j in range(i, n):
            if j > i and lengths[j - 1] < 3:
                break
            total += lengths[j]
            if total > 19:
                break
            if total < 13 or (currency_after and j == n - 1):
                continue
            whole = i == 0 and j == n - 1
            card_like = _card_like(lengths[i : j + 1])
            if not (whole or card_like):
                continue
            digits = "".join(g[0] for g in groups[i : j + 1])
            if not luhn_valid(digits) or (total == 16 and _is_date8(digits) and _is_date8(digits[8:])):
                continue
            if _OCR_BEFORE.search(text, max(0, groups[i][1] - 24), groups[i][1]):
                continue
            candidates.append((i, j, total + (4 if card_like else 0) + (4 if whole else 0), KIND_CARD))
    if len(candidates) <= 1:
        return [(i, j, kind) for i, j, _score, kind in candidates]
    # weighted interval scheduling over group indices
    ending: dict[int, list[tuple[int, int, str]]] = {}
    for i, j, score, kind in candidates:
        ending.setdefault(j, []).append((i, score, kind))
    best = [0] * (n + 1)
    choice: list[tuple[int, str] | None] = [None] * (n + 1)
    for k in range(1, n + 1):
        best[k] = best[k - 1]
        for i, score, kind in ending.get(k - 1, ()):
            if best[i] + score > best[k]:
                best[k] = best[i] + score
                choice[k] = (i, kind)
    chosen: list[tuple[int, int, str]] = []
    k = n
    while k > 0:
        picked = choice[k]
        if picked is None:
            k -= 1
        else:
            chosen.append((picked[0], k - 1, picked[1]))
            k = picked[0]
    chosen.reverse()
    return chosen


def mask_numbers(text: str) -> tuple[str, set[str]]:
    """Replace card numbers and personnummer in `text`; return the new text and the kinds found."""
    parts: list[str] = []
    kinds: set[str] = set()
    pos = 0
    for run in _RUN.finditer(text):
        groups = [
            (ascii_digits(g.group()), g.start(), g.end())
            for g in _GROUP.finditer(text, run.start(), run.end())
        ]
        if sum(len(g[0]) for g in groups) < 10:
            continue
        for i, j, kind in _spans(text, groups, run.start(), run.end()):
            if kind == KIND_CARD:
                token = f"[kort ••••{''.join(g[0] for g in groups[i : j + 1])[-4:]}]"
            else:
                token = PERSONNUMMER_TOKEN
            parts += (text[pos : groups[i][1]], token)
            pos = groups[j][2]
            kinds.add(kind)
    if not parts:
        return text, kinds
    parts.append(text[pos:])
    return "".join(parts), kinds
