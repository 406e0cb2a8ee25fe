"""knowledge/text.py: words, tokens stemmed as Swedish and English, the language a question is in,
passages of an article body, and text hashes."""

from __future__ import annotations

import pytest

from knowledge.text import detect_lang, fold, guess_lang, passages, text_hash, tokenize, words


def test_words_keep_letters_and_digits_apart() -> None:
    assert words("Order NH-100234 kom INTE!") == ["order", "nh", "100234", "kom", "inte"]


def test_tokenize_drops_stopwords_and_stems_both_ways() -> None:
    tokens = tokenize("Jag vill betala med kortet")
    assert "jag" not in tokens and "med" not in tokens
    assert set(tokenize("betalningar")) & set(tokenize("betalning"))  # one stem for both forms
    assert set(tokenize("payments")) & set(tokenize("payment"))
    assert tokenize("och att det") == []


def test_fold_removes_swedish_diacritics() -> None:
    assert fold("Ångra KÖP är lätt") == "angra kop ar latt"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hur betalar jag med Swish?", "sv"),
        ("How do I pay with my card?", "en"),
        ("Får jag returnera?", "sv"),  # å/ä/ö count for Swedish
        ("swish??", None),
        ("retur", None),
    ],
)
def test_guess_lang(text: str, lang: str | None) -> None:
    assert guess_lang(text) == lang
    assert detect_lang(text) == (lang or "en")


def test_passages_split_paragraphs_and_long_ones() -> None:
    body = "# Swish\n\nVälj **Swish** i kassan.\n\n" + " ".join(f"ord{i}" for i in range(130))
    parts = passages(body, max_words=60)
    assert parts[0] == "Swish" and parts[1] == "Välj Swish i kassan."
    assert [len(p.split()) for p in parts[2:]] == [60, 60, 10]
    assert passages("") == []


def test_text_hash_is_sha256_hex() -> None:
    assert text_hash("a") == text_hash("a") != text_hash("a ")
    assert len(text_hash("hej")) == 64
