"""knowledge/article_data.py: which slugs are valid (a plain file name), and `ArticleData.from_dict`'s
checks and defaults (slugs refused at every door: test_security_slug.py)."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import ValidationError
from knowledge.article_data import ArticleData, valid_slug

SLUG_ALPHABET = string.ascii_lowercase + string.digits + "-._"


@given(st.text(min_size=1, max_size=60))
def test_a_valid_slug_is_a_plain_file_name(slug: str) -> None:
    if valid_slug(slug):
        assert slug[0] in string.ascii_lowercase + string.digits
        assert set(slug) <= set(SLUG_ALPHABET)
        assert Path(f"{slug}.md").name == f"{slug}.md" and not slug.startswith(".")


@given(st.text(alphabet=SLUG_ALPHABET, min_size=1, max_size=200))
def test_slugs_of_the_alphabet_pass_when_they_start_with_a_letter_or_digit(slug: str) -> None:
    assert valid_slug(slug) == (slug[0] not in "-._")
    assert not valid_slug(slug + "\n")


def test_from_dict_fills_defaults_and_round_trips() -> None:
    article = ArticleData.from_dict(
        {"slug": "swish", "title": "Swish", "questions": ["Hur?", "  "], "translation_of": ""}
    )
    assert (article.lang, article.status, article.tags, article.questions) == (
        "sv",
        "published",
        [],
        ["Hur?"],
    )
    assert article.translation_of is None  # an empty form field means none
    assert ArticleData.from_dict(article.to_dict()) == article


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"title": " "}, "title is required"),
        ({"lang": "svenska"}, "lang"),
        ({"status": "hidden"}, "status"),
        ({"body": 7}, "body"),
        ({"tags": "a,b"}, "tags"),
        ({"questions": ["ok", 3]}, "questions"),
        ({"body": "nul\x00"}, "NUL"),
        ({"translation_of": "swish"}, "the article itself"),
        ({"colour": "red"}, "unknown field"),
    ],
)
def test_from_dict_names_the_bad_field(change: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        ArticleData.from_dict({"slug": "swish", "title": "Swish", **change})


def test_from_dict_needs_an_object() -> None:
    with pytest.raises(ValidationError, match="object"):
        ArticleData.from_dict(["swish"])  # type: ignore[arg-type]
