"""`Speller`: a customer's misspelt words put right against the knowledge base's own words.

Customers type "pakage", "leveranstd", "presentkrot", "glomde". The model splits such a word into pieces that
mean little and the lexical signals miss it altogether. So, before the search, each word of four letters or
more that is not a function word nor a known word (`known_words`: a whole word in the multilingual model's
vocabulary, such as "here", "idag" or "back", is meant as typed):

* a word the knowledge base has, typed without its å/ä/ö, gets them back ("glomde" -> "glömde");
* another word of six letters or more is replaced by the knowledge-base word closest to it, at most one edit
  away (two from eight letters; an edit is a letter added, dropped, changed or two swapped), the more
  frequent on a tie; unless it shares a stem with a knowledge-base word ("betalar" next to "betala": another
  form, not a misspelling), or nothing is close (a word the knowledge base never uses, such as "paypal",
  stays itself and still counts against an answer).

Shorter words are left alone: one edit from a knowledge-base word they are as often another real word
("hylla" / "fylla") as a misspelling. On the dev halves this kept the demo questions as they were (86.1 %
top-1 either way) and put 9 points of in-scope accuracy back on the same questions with one typo each.

Look-ups use symmetric deletes (SymSpell): each vocabulary word is indexed under itself and every form with
one letter deleted; a question's word is looked up the same way. That finds every word one edit away, and
those two away that one deletion on each side makes equal (a letter added in one place and dropped in
another), at the cost of a few dictionary probes; the true distance is then checked. Other two-edit
misspellings (two letters changed, two dropped) are not found.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from knowledge.text import STOPWORDS, fold, stems

__all__ = ["Speller"]

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_LENGTH = 4  # shorter words are too often another word one edit away ("kort" / "kost")
# Edits only from this length: a shorter word one edit from a knowledge-base word is as likely another real
# word ("hylla" / "fylla", "rutan" / "utan") as a misspelling.
MIN_EDIT = 6
LONG = 8  # from this length two edits are allowed
_STOP = frozenset(fold(w) for w in STOPWORDS)


KNOWN_WORDS = Path(__file__).resolve().parent / "data" / "known_words.txt.gz"
_LATIN_WORD = re.compile(r"[a-zà-öø-ÿ]{4,}")


def known_words_of(pieces: Iterable[str]) -> list[str]:
    """The known words in a SentencePiece vocabulary: its word-initial pieces ("▁here") that are a whole
    lowercase word of four letters or more in a Latin script, sorted. `KNOWN_WORDS` was written from
    multilingual-e5-small's vocabulary by this function (tests/knowledge/test_spelling.py checks it)."""
    return sorted({p[1:] for p in pieces if p.startswith("\u2581") and _LATIN_WORD.fullmatch(p[1:])})


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Whole words of the multilingual model's vocabulary (XLM-R's pieces that are a word of four letters or
    more in a Latin script, lowercased: knowledge/data/known_words.txt.gz): words common enough in some
    language that a customer typing one means it ("here", "back", "idag", "there"), not a misspelling."""
    with gzip.open(KNOWN_WORDS, "rt", encoding="utf-8") as f:
        return frozenset(f.read().split())


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), or `limit + 1` when it
    is more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


class Speller:
    """Built from the knowledge base's texts (titles, bodies, example questions); `correct` a question."""

    def __init__(self, texts: Iterable[str]) -> None:
        known_words()  # read here, where the index is built off the event loop, not at the first question
        counts: Counter[str] = Counter()
        forms: Counter[tuple[str, str]] = Counter()
        for text in texts:
            for w in _WORD.findall(text.lower()):
                if len(w) >= MIN_LENGTH - 1:
                    folded = fold(w)
                    counts[folded] += 1
                    forms[(folded, w)] += 1
        self.counts = counts
        # A word sharing a stem with one of the knowledge base's is another form of it ("betalar" where the
        # articles say "betala"), not a misspelling: it is left alone.
        self.stems = {s for word in counts for s in stems(word)}
        # How the knowledge base writes each folded word ("glomde" -> "glömde"), with its å/ä/ö when any
        # text has them (example questions are often typed without): a question typed without them gets
        # them back, which the model reads far better.
        self.written: dict[str, str] = {}
        for (folded, w), _ in sorted(forms.items(), key=lambda item: (item[0][1] == item[0][0], -item[1])):
            self.written.setdefault(folded, w)
        self._by_delete: dict[str, list[str]] = {}
        for word in counts:
            for key in (word, *_deletes(word)):
                self._by_delete.setdefault(key, []).append(word)

    def suggest(self, word: str) -> str | None:
        """The knowledge-base word closest to `word` (folded), or None when none is close enough."""
        limit = 2 if len(word) >= LONG else 1
        found: set[str] = set()
        for key in (word, *_deletes(word)):
            found.update(self._by_delete.get(key, ()))
        best: tuple[int, int, str] | None = None
        for candidate in found:
            d = distance(word, candidate, limit)
            if d > limit:
                continue
            rank = (d, -self.counts[candidate], candidate)
            if best is None or rank < best:
                best = rank
        return best[2] if best is not None else None

    def correct(self, text: str) -> str:
        """`text` with each misspelt word replaced (see the module docstring); unchanged when none is."""
        out: list[str] = []
        last = 0
        changed = False
        for match in _WORD.finditer(text):
            typed = match.group().lower()
            word = fold(typed)
            if len(word) < MIN_LENGTH or word in _STOP or typed in known_words():
                continue
            if word in self.counts:  # the knowledge base's word: give back the å/ä/ö it was typed without
                better = self.written[word]
                if typed != word or better == typed:
                    continue
            elif len(word) >= MIN_EDIT and self.stems.isdisjoint(stems(word)):
                found = self.suggest(word)
                if found is None:
                    continue
                better = self.written[found]
            else:
                continue
            out.append(text[last : match.start()])
            out.append(better)
            last = match.end()
            changed = True
        if not changed:
            return text
        out.append(text[last:])
        return "".join(out)
