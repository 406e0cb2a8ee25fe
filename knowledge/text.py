"""Text helpers for lexical search: Swedish + English stemming, accent folding, passages."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[0-9]+|[^\W\d_]+", re.UNICODE)
_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u", "æ": "a", "ø": "o"})

# Function words that carry no topic in either language.
STOPWORDS = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being it its this that
    these those i me my we our you your he she they them their what which who whom how when where why do does
    did can could would should will shall may might must have has had not no so than too very just about
    och eller men om av till i på vid för med från som är var varit vara det den de dem detta denna dessa jag
    mig min mitt mina vi oss vår ni er du dig din ditt han hon hen man vad vilken vilket vilka hur när var
    varför gör göra gjorde kan kunde skulle ska vill har hade inte nej så än mycket bara om en ett att sig
    också får få något någon några hej
    """.split()
)
_STOP_FOLDED = frozenset(w.translate(_FOLD) for w in STOPWORDS)

_sv = Stemmer.Stemmer("swedish")
_en = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    return text.lower().translate(_FOLD)


@lru_cache(maxsize=200_000)
def _stems(word: str) -> tuple[str, ...]:
    sv = fold(_sv.stemWord(word))
    en = fold(_en.stemWord(word))
    return (sv,) if sv == en else (sv, en)


def stems(word: str) -> tuple[str, ...]:
    """A lowercased word's Swedish and English stems, folded (one when they agree)."""
    return _stems(word)


def words(text: str) -> list[str]:
    """The lowercased words of a text: runs of letters, and runs of digits (no stemming, stopwords kept)."""
    return _WORD.findall(text.lower())


def tokenize(text: str) -> list[str]:
    """Lowercased words, stopwords dropped, each stemmed as Swedish and as English (both kept)."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        if fold(word) in _STOP_FOLDED:
            continue
        out.extend(_stems(word))
    return out


_SV_HINTS = frozenset(
    "jag min mitt mina hur kan vill det och inte har på får att är varför när vad betala kortet kort "
    "köp köpa beställning beställde faktura frakt leverans paket kvitto rabattkod presentkort "
    "hej tack".split()
)
_EN_HINTS = frozenset(
    "i my me how can want it and not have on get to is why when what the pay card order buy a an "
    "do does did you your please hello thanks with".split()
)


def guess_lang(text: str) -> str | None:
    """'sv' or 'en' from function words and å/ä/ö; None when the text gives no sign either way
    ("betalning", "retur", "swish??")."""
    words = _WORD.findall(text.lower())
    sv = sum(w in _SV_HINTS for w in words) + 2 * sum(ch in "åäö" for ch in text.lower())
    en = sum(w in _EN_HINTS for w in words)
    if sv == en:
        return None
    return "sv" if sv > en else "en"


def detect_lang(text: str) -> str:
    """'sv' or 'en' (`guess_lang`, English when there is no sign): enough to choose how to weigh the index."""
    return guess_lang(text) or "en"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def passages(body: str, max_words: int = 60) -> list[str]:
    """Split a Markdown body into paragraph-sized passages for indexing."""
    plain = re.sub(r"[#*_`>\[\]()]", " ", body)
    out: list[str] = []
    for para in re.split(r"\n\s*\n", plain):
        words = para.split()
        for i in range(0, len(words), max_words):
            chunk = " ".join(words[i : i + max_words])
            if chunk:
                out.append(chunk)
    return out
