"""Light-weight intent signals in a customer message (Swedish and English): wants a human, is frustrated,
says the answer did not help / did help, sends a bare greeting.

Every detector works on `normalize`d text (lowercase, å/ä→a, ö→o, apostrophes straightened, whitespace
collapsed to single spaces), so patterns are written without diacritics, with literal spaces, and also
match text typed without them ("manniska"). `detect_signals` normalises once and runs every detector.
The word lists and patterns are in `bot.signal_patterns`; this module is the detection.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.signal_patterns import (
    BANGS,
    BARE_HUMAN,
    BUT,
    FRUSTRATED,
    GREETING_START,
    GREETING_WORDS,
    HAS_CAPS,
    HELPED,
    LETTERS,
    NEGATIVE,
    NOT_HELPFUL,
    REJECTION,
    THANKS_CORE,
    THANKS_WORDS,
    WANTS_HUMAN,
    WORD,
)

__all__ = [
    "Signals",
    "detect_signals",
    "is_frustrated",
    "is_greeting",
    "normalize",
    "says_helpful",
    "says_not_helpful",
    "wants_human",
]

_FOLD = (
    ("å", "a"), ("ä", "a"), ("ö", "o"), ("æ", "a"), ("ø", "o"), ("é", "e"), ("è", "e"), ("ü", "u"),
    ("\u030a", ""), ("\u0308", ""), ("\u0301", ""),  # combining ring / diaeresis / acute (NFD input)
    ("\u2019", "'"), ("\u2018", "'"), ("\u00b4", "'"), ("`", "'"),
)  # fmt: skip


def normalize(text: str) -> str:
    """Lowercase, fold å/ä→a and ö→o, straighten apostrophes, collapse whitespace to single spaces."""
    s = text.lower()
    for src, dst in _FOLD:
        if src in s:
            s = s.replace(src, dst)
    return " ".join(s.split())


def _wants_human(norm: str) -> bool:
    if WANTS_HUMAN.search(norm):
        return True
    return len(norm) <= 60 and BARE_HUMAN.fullmatch(" ".join(WORD.findall(norm))) is not None


def wants_human(text: str) -> bool:
    """The customer explicitly asks for a person (agent, kundtjänst, "talk to a human", bare "människa")."""
    return _wants_human(normalize(text))


def _shouting(text: str) -> bool:
    """Three or more consecutive ALL-CAPS words of two letters or more ("I" may sit among them)."""
    if HAS_CAPS.search(text) is None:
        return False
    run = letters = 0
    for token in LETTERS.findall(text):
        if not token.isupper():
            run = letters = 0
        elif len(token) >= 2:
            run += 1
            letters += len(token)
            if run >= 3 and letters >= 10:  # not a row of acronyms like "ATM PIN CVC"
                return True
    return False


def _frustrated(text: str, norm: str) -> bool:
    if FRUSTRATED.search(norm):
        return True
    if BANGS.search(norm) and NEGATIVE.search(norm):
        return True
    return _shouting(text)


def is_frustrated(text: str) -> bool:
    """Swearing, anger or complaint words, "!!" with a negation, or three or more ALL-CAPS words in a row."""
    return _frustrated(text, normalize(text))


def _not_helpful(norm: str) -> bool:
    return NOT_HELPFUL.search(norm) is not None or REJECTION.match(norm) is not None


def says_not_helpful(text: str) -> bool:
    """The customer says the bot's answer did not help or missed the question."""
    return _not_helpful(normalize(text))


def _helpful(norm: str) -> bool:
    if _not_helpful(norm) or BUT.search(norm):
        return False
    if HELPED.search(norm):
        return True
    if len(norm) > 60:
        return False
    words = WORD.findall(norm)
    return (
        0 < len(words) <= 6 and all(w in THANKS_WORDS for w in words) and any(w in THANKS_CORE for w in words)
    )


def says_helpful(text: str) -> bool:
    """The answer helped ("tack det hjälpte", "thanks that helped"), or a short "toppen" / "thank you!"."""
    return _helpful(normalize(text))


def _greeting(norm: str) -> bool:
    if len(norm) > 40:
        return False
    words = WORD.findall(norm)
    return (
        0 < len(words) <= 4
        and GREETING_START.match(" ".join(words)) is not None
        and all(w in GREETING_WORDS for w in words)
    )


def is_greeting(text: str) -> bool:
    """A bare greeting of at most four words: "hej", "hallå!", "hi there", "god morgon"."""
    return _greeting(normalize(text))


# --- all at once ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signals:
    """Every detector's verdict on one message."""

    wants_human: bool
    frustrated: bool
    not_helpful: bool
    helpful: bool
    greeting: bool


def detect_signals(text: str) -> Signals:
    """Normalise once and run every detector."""
    norm = normalize(text)
    return Signals(
        wants_human=_wants_human(norm),
        frustrated=_frustrated(text, norm),
        not_helpful=_not_helpful(norm),
        helpful=_helpful(norm),
        greeting=_greeting(norm),
    )
