"""Lexical scores from per-article blocks: BM25 equal to bm25s's Lucene BM25, character n-grams that
survive typos and missing diacritics, and blocks that can be swapped one at a time."""

from __future__ import annotations

import bm25s
import numpy as np

from knowledge.lexical import LexicalIndex, count_rows
from knowledge.text import tokenize

TEXTS = [
    "Kortet nekas vid betalning",
    "Varför nekas mitt kort när jag betalar?",
    "Kan jag betala med Swish?",
    "Swish fungerar inte i appen",
    "Hur lång är leveranstiden?",
    "Leveransen tar 2–5 arbetsdagar inom Sverige",
    "Can I pay with a gift card?",
    "Presentkortet gäller i två år",
]


def test_bm25_matches_bm25s() -> None:
    index = LexicalIndex([count_rows(TEXTS[:3]), count_rows(TEXTS[3:])])
    reference = bm25s.BM25()  # Lucene's variant, k1 = 1.5, b = 0.75
    reference.index([tokenize(t) for t in TEXTS], show_progress=False)
    for question in ["betala med kort", "swish funkar inte", "leveranstid", "gift card valid"]:
        terms = [t for t in dict.fromkeys(tokenize(question)) if t in reference.vocab_dict]
        expected = reference.get_scores(terms) if terms else np.zeros(len(TEXTS))
        got, _ = index.scores(question)
        assert np.allclose(got, expected, rtol=1e-4, atol=1e-5), (question, got, expected)


def test_character_ngrams_survive_typos_and_missing_diacritics() -> None:
    index = LexicalIndex([count_rows(TEXTS)])
    for typed, meant in [("leveranstidn", 4), ("presentkortet galler", 7), ("betlaning nekas", 0)]:
        _, chars = index.scores(typed)
        assert int(np.argmax(chars)) == meant, (typed, chars)
        assert 0 < chars.max() <= 1.0 + 1e-6


def test_blocks_assemble_to_the_same_scores_in_any_grouping() -> None:
    whole = LexicalIndex([count_rows(TEXTS)])
    split = LexicalIndex([count_rows([t]) for t in TEXTS])
    for q in ["swish", "kort nekas", "hur lång tid"]:
        for a, b in zip(whole.scores(q), split.scores(q), strict=True):
            assert np.allclose(a, b, atol=1e-6)


def test_unknown_words_and_an_empty_index_score_zero() -> None:
    assert [len(s) for s in LexicalIndex([]).scores("swish")] == [0, 0]
    bm25, chars = LexicalIndex([count_rows(TEXTS)]).scores("xyzzy qwv")
    assert not bm25.any() and not chars.any()
