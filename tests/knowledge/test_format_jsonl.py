"""`knowledge.format_jsonl`: JSON Lines — hand-written files, and errors at the bad line."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.formats import read_articles


def error_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as info:
        read_articles(path)
    return info.value


def test_jsonl_invalid_json_on_line_3(tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('{"slug": "a", "title": "A"}\n{"slug": "b", "title": "B"}\n{"slug": "c", "title": \n')
    err = error_of(path)
    assert (err.path, err.line) == (str(path), 3)
    assert "one complete JSON object per line" in err.problem


@pytest.mark.parametrize(
    ("line3", "words"),
    [
        ('{"slug": "c"}', "title is required"),
        ('["c"]', "must be a JSON object"),
        ('{"slug": "c", "title": "C", "extra": 1}', "unknown field(s): extra"),
    ],
)
def test_jsonl_record_errors(tmp_path: Path, line3: str, words: str) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('{"slug": "a", "title": "A"}\n\n' + line3 + "\n")
    err = error_of(path)
    assert err.line == 3 and words in err.problem


def test_hand_written_jsonl_with_blank_lines_and_draft(tmp_path: Path) -> None:
    path = tmp_path / "kb.jsonl"
    path.write_text('\n{"slug": "a", "title": "A", "status": "draft", "tags": null}\n\n  \n')
    assert read_articles(path) == [ArticleData(slug="a", title="A", status="draft")]
