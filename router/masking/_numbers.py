"""Card numbers and personnummer inside *digit runs*, whatever the separators, grouping and digit script.

A digit run (``_runs``) is a stretch of digit groups joined by separators (up to 8 characters from
``_text.SEPARATORS``: spaces, tabs, newlines, NBSP, ``.``, ``-``, ``–``, ``/``, ``_``, ...); ignorable
characters (zero-width, combining marks) may sit anywhere and never split a group. Within one run every span
of whole groups is a candidate:

* **personnummer / samordningsnummer** -- 10 or 12 digits grouped as a date and a four-digit tail:
  ``YYMMDD·NNNN``, ``YY·MM·DD·NNNN``, ``YYYYMMDD·NNNN``, ``YYYY·MM·DD·NNNN`` or contiguous; a valid date
  (day + 60 for a samordningsnummer), a Luhn-valid last ten digits and, with the century written, a birth
  date before today;
* **card number** -- 13-19 digits, Luhn-valid, starting with 2-6 (payment networks), every group but the last
  at least three digits long (dates, phone numbers, postcodes and amounts all have one- or two-digit inner
  groups). Any such grouping counts when the span is the whole run and one separator is used throughout
  ("601 111 111 111 111 7", not "NH-513410\n070 152 0849"), and so does a whole run typed a digit or two at
  a time with one separator ("4 1 1 1 1 1 …", "41 11 11 …"); otherwise the span must be grouped like a card
  (contiguous, fours, 8-8, Amex/Diners 4-6-5 / 4-6-4), so "ärende 48213 4111 1111 1111 1111" masks only the
  card.

Left alone on purpose: a run right after "+" (an international phone number), a number right after "OCR"
(invoice references are Luhn-checked too), an IBAN (a run glued to two capital letters), a piece of an
identifier (a run glued to letters in a hexadecimal token or one mixing letters and digits, as in a UUID), two
YYYYMMDD dates back to back, a number followed by a currency ("8112189876 kr"), and two groups joined by a
lone decimal point (a decimal number, or a timestamp such as Slack's "1700000901.000100") unless shaped like
a personnummer ("811218.9876").

Overlapping candidates are resolved per run by weighted interval scheduling: a candidate scores its digit
count, +4 when grouped like a card or personnummer, +4 when it is the whole run. The chosen set masks as many
digits as possible, and a run that is one valid number is always masked as that one number. Because every
candidate left out overlaps a chosen one, masking the output again changes nothing.
"""

from __future__ import annotations

from itertools import accumulate

from router.masking._context import CURRENCY_AFTER, labelled
from router.masking._personnummer import PNR_GROUPS, PNR_SHAPES, is_date8, valid_personnummer
from router.masking._runs import (
    DECIMAL_POINTS,
    GROUP,
    TOKEN_AFTER_RUN,
    TOKEN_BEFORE_RUN,
    gaps_of,
    groups_of,
    runs,
)
from router.masking._text import luhn_valid

KIND_CARD = "card"
KIND_PERSONNUMMER = "personnummer"
PERSONNUMMER_TOKEN = "[personnummer]"
_BONUS = 4  # score for a card-like or personnummer grouping, and again for spanning the whole run


def _card_like(lengths: list[int]) -> bool:
    """Grouped as card numbers are printed: contiguous, in fours (the last group 1-4 digits), 8-8, or the
    Amex/Diners 4-6-5 / 4-6-4."""
    if len(lengths) == 1 or lengths in ([4, 6, 5], [4, 6, 4], [8, 8]):
        return True
    return all(n == 4 for n in lengths[:-1]) and lengths[-1] <= 4


def _typed_apart(lengths: list[int]) -> bool:
    """Typed a digit or two at a time ("4 1 1 1 …", "41 11 11 …"): every group of one size, 1 or 2 (the last
    may be shorter). No date, phone number or amount is written as 13 or more such groups."""
    size = lengths[0]
    return size <= 2 and all(n == size for n in lengths[:-1]) and lengths[-1] <= size


def _is_card(digits: str) -> bool:
    """Starts with a payment network's digit, Luhn-valid, and not two YYYYMMDD dates ("20261201-20261208").

    The first digit of a card number is its major industry identifier: 2-6 are the payment networks
    (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard/Maestro, Discover/UnionPay). 0 is never a card,
    1 is airline cards and what millisecond timestamps look like ("1700000901123"), 7-9 are fuel, health,
    telecom and national cards no shop takes.
    """
    return (
        "2" <= digits[0] <= "6"
        and luhn_valid(digits)
        and not (len(digits) == 16 and is_date8(digits) and is_date8(digits[8:]))
    )


class _Run:
    """One digit run: its groups as ASCII digits, and the checks of spans of groups."""

    __slots__ = ("digits", "end", "found", "lengths", "n", "offsets", "separators", "start", "text", "tokens")

    def __init__(self, text: str, start: int, end: int, found: str, groups: list[str], lengths: list[int]):
        self.text, self.start, self.end, self.found = text, start, end, found
        self.lengths = lengths
        self.n = len(lengths)
        self.digits = "".join(groups)
        self.offsets = list(accumulate(lengths, initial=0))
        self.tokens: tuple[bool, bool] | None = None
        self.separators: list[str] | None = None

    def next_to_token(self) -> tuple[bool, bool]:
        """Whether a mask token comes right before / after the run (through separators only).

        A run next to a token is a remainder of a longer run masked before: it is never "the whole run", and
        a personnummer at its end that a short group may not follow is none (one did, the first time).
        """
        if self.tokens is None:
            text = self.text
            self.tokens = (
                "]" in text[max(0, self.start - 24) : self.start]
                and TOKEN_BEFORE_RUN.search(text, max(0, self.start - 32), self.start) is not None,
                TOKEN_AFTER_RUN.match(text, self.end) is not None,
            )
        return self.tokens

    def whole(self, i: int, j: int) -> bool:
        return i == 0 and j == self.n - 1 and ("[" not in self.text or self.next_to_token() == (False, False))

    def amount(self, j: int) -> bool:
        """The span ending with group `j` is followed by a currency: an amount, not a number to mask."""
        return j == self.n - 1 and CURRENCY_AFTER.match(self.text, self.end) is not None

    def gaps(self) -> list[str]:
        """The separators between the groups, without ignorable characters."""
        if self.separators is None:
            self.separators = gaps_of(self.found)
        return self.separators

    def pnr_score(self, i: int) -> tuple[int, int]:
        """(last group, score) of a personnummer starting with group `i`, or (-1, 0).

        A date written in parts ("1981-12-18-9876") uses one separator between its parts ("01/12 – 08/12 2026"
        is two dates). When a group of one or two digits follows, a date-shaped personnummer, or one whose
        tail starts with 0 or is a year followed by month and day, is none: in "2025-08-26 – 2025-08-28",
        "2000-06-09 0138-00 00 00", "19990101 0470-12 34 56" or "20000101 1998-01-01" the tail begins a
        date or a phone number.
        """
        lengths, n = self.lengths, self.n
        shape = PNR_SHAPES.get(lengths[i])
        if shape is None:
            return -1, 0
        j = i + len(shape) - 1
        if j >= n or lengths[i : j + 1] != shape:
            return -1, 0
        if not valid_personnummer(self.digits[self.offsets[i] : self.offsets[j + 1]]):
            return -1, 0
        if j == n - 1 and self.amount(j):
            return -1, 0
        split = j - i == 3  # YY·MM·DD·NNNN or YYYY·MM·DD·NNNN
        tail = self.digits[self.offsets[j] : self.offsets[j] + 2]
        year = tail in ("19", "20") and (j + 2 >= n or lengths[j + 2] <= 2)  # then MM·DD: a date
        if split or tail[0] == "0" or year:
            if j < n - 1 and lengths[j + 1] <= 2:
                return -1, 0
            if j == n - 1 and "[" in self.text and self.next_to_token()[1]:
                return -1, 0  # the short group after it was masked the first time
        if split:
            gaps = self.gaps()
            if gaps[i] != gaps[i + 1]:
                return -1, 0
        return j, self.offsets[j + 1] - self.offsets[i] + _BONUS + (_BONUS if self.whole(i, j) else 0)

    def one_separator(self) -> bool:
        """The same separator between all groups ("601 111 111 111 111 7"), not "NH-513410\n070 152 0849"."""
        return len(set(self.gaps())) <= 1

    def card_score(self, i: int, j: int) -> int:
        """The score of groups i..j as a card number, or 0. The caller checks the group lengths.

        Grouped like a card, or else the whole run with one separator throughout.
        """
        card_like = _card_like(self.lengths[i : j + 1])
        whole = self.whole(i, j) and (card_like or self.one_separator())
        if not (whole or card_like) or not _is_card(self.digits[self.offsets[i] : self.offsets[j + 1]]):
            return 0
        if self.amount(j):
            return 0
        return self.offsets[j + 1] - self.offsets[i] + (_BONUS if card_like else 0) + (_BONUS if whole else 0)

    def spans(self) -> list[tuple[int, int, str]]:
        """The (first group, last group, kind) spans to mask."""
        n, lengths, offsets = self.n, self.lengths, self.offsets
        total = offsets[-1]
        if 13 <= total <= 19 and self.whole(0, n - 1):
            if n == 1 or min(lengths[:-1]) >= 3:
                grouped = n == 1 or _card_like(lengths) or self.one_separator()
            else:  # short groups: only a card typed a digit or two at a time, one separator throughout
                grouped = _typed_apart(lengths) and self.one_separator()
            if grouped and _is_card(self.digits) and not self.amount(n - 1):
                return [(0, n - 1, KIND_CARD)]  # a whole run that is one card: no other choice masks more
        candidates: list[tuple[int, int, int, str]] = []  # (first, last, score, kind)
        for i in range(n):
            j, score = self.pnr_score(i)
            if score:
                candidates.append((i, j, score, KIND_PERSONNUMMER))
            if total - offsets[i] < 13:
                continue
            for j in range(i, n):
                if j > i and lengths[j - 1] < 3:
                    break
                size = offsets[j + 1] - offsets[i]
                if size > 19:
                    break
                if size >= 13:
                    score = self.card_score(i, j)
                    if score:
                        candidates.append((i, j, score, KIND_CARD))
        if len(candidates) <= 1:
            return [(i, j, kind) for i, j, _score, kind in candidates]
        return _best(candidates, n)


def _best(candidates: list[tuple[int, int, int, str]], n: int) -> list[tuple[int, int, str]]:
    """Weighted interval scheduling over group indices: the non-overlapping candidates of highest score."""
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
    for start, end in runs(text):
        found = text[start:end]
        groups = groups_of(found)
        lengths = list(map(len, groups))
        total = sum(lengths)
        if total < 13 and (total < 10 or PNR_GROUPS.isdisjoint(lengths)):
            continue  # too short for a card, and no personnummer shape (phone numbers, dates)
        run = _Run(text, start, end, found, groups, lengths)
        if len(groups) == 2 and lengths not in ([6, 4], [8, 4]) and run.gaps()[0] in DECIMAL_POINTS:
            continue  # a decimal number or a timestamp ("1700000901.000100"), unless a personnummer
        spans = run.spans()
        if not spans or labelled(text, start, end):
            continue
        if len(groups) == 1 and found.isascii():
            bounds = [(start, end)]
        else:
            bounds = [g.span() for g in GROUP.finditer(text, start, end)]
        for i, j, kind in spans:
            if kind == KIND_CARD:
                token = f"[kort ••••{''.join(groups[i : j + 1])[-4:]}]"
            else:
                token = PERSONNUMMER_TOKEN
            parts += (text[pos : bounds[i][0]], token)
            pos = bounds[j][1]
            kinds.add(kind)
    if not parts:
        return text, kinds
    parts.append(text[pos:])
    return "".join(parts), kinds
