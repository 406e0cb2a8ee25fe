"""`knowledge.format_markdown`: Markdown files with YAML front matter — layout, hand-written files, and errors
at the line of the bad key or value."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.formats import read_articles, write_articles


def error_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as info:
        read_articles(path)
    return info.value


def md(tmp_path: Path, text: str, name: str = "a.md") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    err = error_of(md(tmp_path, "---\nslug: a\ntitle: a: b\n---\nbody\n"))
    assert (err.path, err.line) == (str(tmp_path / "a.md"), 3)
    assert "quotes" in err.problem


def test_missing_slug(tmp_path: Path) -> None:
    err = error_of(md(tmp_path, "---\ntitle: Hej\n---\nbody\n"))
    assert (err.path, err.line) == (str(tmp_path / "a.md"), 1)
    assert "slug" in err.problem


def test_invalid_field_names_its_line(tmp_path: Path) -> None:
    err = error_of(md(tmp_path, "---\ntitle: Hej\nslug: Bad Slug\nstatus: gone\n---\n"))
    assert err.line == 3 and "slug" in err.problem
    err = error_of(md(tmp_path, "---\ntitle: Hej\nslug: ok\nstatus: gone\n---\n"))
    assert err.line == 4 and "'draft' or 'published'" in err.problem


def test_yaml_non_text_says_to_quote(tmp_path: Path) -> None:
    err = error_of(md(tmp_path, "---\nslug: a\ntitle: yes\n---\n"))
    assert err.line == 3 and 'quotes, "yes"' in err.problem
    err = error_of(md(tmp_path, "---\nslug: a\ntitle: A\ntags:\n- ok\n- 2024\n---\n"))
    assert err.line == 6 and "int" in err.problem


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("no front matter\n", 1, "start the file with a line '---'"),
        ("---\nslug: a\ntitle: A\n", 1, "never closed"),
        ("---\n---\nbody", 2, "key: value"),
        ("---\n- a\n- b\n---\n", 2, "key: value"),
        ("---\nslug: a\ntitle: A\nbody: x\n---\n", 4, "after the closing '---'"),
        ("---\nslug: a\ntitle: A\ntitle: B\n---\n", 4, "given twice (lines 3 and 4)"),
    ],
)
def test_markdown_structure_errors(tmp_path: Path, text: str, line: int, words: str) -> None:
    err = error_of(md(tmp_path, text))
    assert (err.path, err.line) == (str(tmp_path / "a.md"), line)
    assert words in err.problem


def test_markdown_layout(tmp_path: Path) -> None:
    article = ArticleData(slug="hej", title="yes", tags=[], body="Body\n", questions=["Hur?"])
    write_articles([article], tmp_path / "out")
    text = (tmp_path / "out" / "hej.md").read_text(encoding="utf-8")
    assert text == (
        "---\nslug: hej\ntitle: 'yes'\nlang: sv\ntags: []\nstatus: published\nquestions:\n- Hur?\n"
        "---\n\nBody\n"
    )


def test_hand_written_markdown(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_bytes(b"---\r\nslug: b\r\ntitle: B\r\nstatus: draft\r\n---\r\n\r\nBody\r\n")
    (tmp_path / "a.md").write_text('---\nslug: a\ntitle: A\ntags:\nquestions: ["Hur?", "Vad?"]\n---\nBody\n')
    (tmp_path / "notes.txt").write_text("not an article")
    assert read_articles(tmp_path) == [
        ArticleData(slug="a", title="A", body="Body\n", questions=["Hur?", "Vad?"]),
        ArticleData(slug="b", title="B", status="draft", body="Body\r\n"),
    ]
    assert read_articles(tmp_path / "b.md")[0].status == "draft"
