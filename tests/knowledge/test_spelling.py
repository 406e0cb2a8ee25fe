"""knowledge/spelling.py: misspelt words and missing å/ä/ö put right against a knowledge base's own words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.spelling import Speller, distance

TEXTS = [
    "Fyll i fältet. Where are these?",
    "Var är mitt paket? Spåra din leverans med sändningsnumret.",
    "Presentkort: så betalar du med ett presentkort i kassan.",
    "Glömde du lägenhetsnumret? Ändra leveransadress innan paketet skickas.",
    "Where is my package? Track your delivery with the tracking number.",
    "Refunds take five to ten working days.",
]


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(TEXTS)


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("where is my pakage", "where is my package"),  # a letter dropped
        ("presentkrot funkar inte", "presentkort funkar inte"),  # two swapped
        ("glomde lagenhetsnumret", "glömde lägenhetsnumret"),  # å/ä/ö given back
        ("Var ar mitt PAKET", "Var ar mitt PAKET"),  # a word it has, in any case; "ar" is too short
        ("sandningsnumre", "sändningsnumret"),  # long words: up to two edits
    ],
)
def test_misspelt_words_are_put_right(speller: Speller, typed: str, searched: str) -> None:
    assert speller.correct(typed) == searched


@pytest.mark.parametrize(
    "typed",
    [
        "kan man betala med paypal",  # nothing close: the word stays and still counts against an answer
        "order 12345 kommer inte",  # numbers and words with no neighbour
        "hur gör jag",  # function words and short words are never changed
        "here and there",  # common words (the model's vocabulary) are meant: not "where", not "these"
        "hylla",  # a short word one edit from a knowledge-base word is as likely another real word
    ],
)
def test_words_with_no_close_match_stay(speller: Speller, typed: str) -> None:
    assert speller.correct(typed) == typed


def test_a_tie_goes_to_the_more_frequent_word() -> None:
    speller = Speller(["kortet kortet kortet", "korten"])
    assert speller.correct("korteb") == "kortet"


def test_distance_counts_a_swap_as_one_edit_and_stops_past_the_limit() -> None:
    assert distance("presentkrot", "presentkort", 2) == 1
    assert distance("pakage", "package", 1) == 1
    assert distance("abcdef", "uvwxyz", 2) == 3  # limit + 1: far


@given(st.text(max_size=80))
def test_any_text_comes_back_as_a_string_and_correcting_twice_changes_nothing_more(text: str) -> None:
    speller = Speller(TEXTS)
    once = speller.correct(text)
    assert isinstance(once, str)
    assert speller.correct(once) == once


def test_the_shipped_known_words_are_the_e5_vocabularys_whole_words() -> None:
    """knowledge/data/known_words.txt.gz is what `known_words_of` makes of the shipped model's vocabulary."""
    import json

    from config import ModelSettings
    from knowledge.e5_model import e5_folder
    from knowledge.spelling import known_words, known_words_of

    vocab = json.loads((e5_folder(ModelSettings().cache_path()) / "tokenizer.json").read_text())["model"][
        "vocab"
    ]
    assert known_words_of(piece for piece, _score in vocab) == sorted(known_words())
    assert {"here", "back", "idag", "there"} <= known_words()
    assert not {"pakage", "presentkrot", "glomde"} & known_words()
