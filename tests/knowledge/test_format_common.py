"""knowledge/format_common.py: what the article file formats share: field order, UTF-8 with the line of a
bad byte, errors at the bad field's line, unique slugs (each format end to end: test_format_*.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.format_common import build, check_unique, decode, fields


def test_fields_in_file_order_and_translation_of_only_when_set() -> None:
    plain = ArticleData(slug="a", title="A")
    assert list(fields(plain)) == ["slug", "title", "lang", "tags", "status", "body", "questions"]
    translated = ArticleData(slug="a-en", title="A", lang="en", translation_of="a")
    assert list(fields(translated))[3] == "translation_of" and fields(translated)["translation_of"] == "a"


def test_decode_drops_a_bom_and_names_the_line_of_a_bad_byte(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_bytes("\ufeffrad ett\nrad två\n".encode())
    assert decode(good) == "rad ett\nrad två\n"
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"one\ntwo\nthr\xe4e\n")
    with pytest.raises(ImportFormatError) as error:
        decode(bad)
    assert (error.value.path, error.value.line) == (str(bad), 3)
    assert "0xe4" in error.value.problem


def test_build_treats_empty_optional_fields_as_defaults() -> None:
    article = build(
        {"slug": "a", "title": "A", "lang": "", "tags": None, "status": ""}, "kb.csv", 2, "in column"
    )
    assert (article.lang, article.tags, article.status) == ("sv", [], "published")


def test_build_errors_point_at_the_bad_fields_line() -> None:
    with pytest.raises(ImportFormatError) as error:
        build(
            {"slug": "a", "title": "A", "status": "hidden"}, "a.md", 1, "in the front matter", {"status": 5}
        )
    assert error.value.line == 5 and "fix `status` in the front matter" in error.value.problem
    with pytest.raises(ImportFormatError) as unknown:
        build({"slug": "a", "title": "A", "colour": "red"}, "kb.jsonl", 7, "on this line", {"colour": 9})
    assert unknown.value.line == 7 and "the fields are slug, title" in unknown.value.problem


def test_check_unique_names_where_the_slug_was_first() -> None:
    seen: dict[str, str] = {}
    check_unique("a", seen, "kb.csv", 2, "kb.csv:2")
    check_unique("b", seen, "kb.csv", 3, "kb.csv:3")
    with pytest.raises(ImportFormatError) as error:
        check_unique("a", seen, "kb.csv", 4, "kb.csv:4")
    assert error.value.line == 4 and "also used at kb.csv:2" in error.value.problem
