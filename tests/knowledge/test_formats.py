"""knowledge.formats: round trips in Markdown, JSONL and CSV, the format by path, translation_of in every
format, and what every format shares (UTF-8, unique slugs); each format's own cases: test_format_*.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData
from knowledge.formats import detect_format, read_articles, write_articles

YAML_SPECIALS = [
    "yes", "no", "No", "null", "~", "true", "1.0", "0x1F", "1e3", "2024-01-01", "a: b", "- dash", "#hash",
    "@at", "`tick`", "!tag", "*star", "&anchor", "{flow}", "[list]", "'single'", '"double"', "%percent",
    "---", "...", "  padded  ", "? q", "| pipe", "> fold", "tab\there", "trailing colon:",
]  # fmt: skip


def tricky() -> list[ArticleData]:
    articles = [
        ArticleData(
            slug="basic",
            title="Återbetalning",
            tags=["billing", "refunds"],
            body="# Rubrik\n\nSå här får du **pengarna** tillbaka.\n",
            questions=["Hur får jag pengarna tillbaka?", "återbetalning"],
        ),
        ArticleData(slug="whitespace", title="Whitespace", body="\n\n   leading and trailing   \n\t\n\n"),
        ArticleData(
            slug="quotes-pipes",
            title="He said \"hi\" & 'bye'",
            body="quotes \" ' and | pipes | and, commas; semis\n| a | b |\n|---|---|\n",
            tags=["a|b", "c\\d", "åäö"],
            questions=["what | about pipes?", "back\\slash", "ends with backslash\\", "\\|escaped already"],
        ),
        ArticleData(
            slug="draft.en",
            title="Draft",
            lang="en",
            status="draft",
            body="---\nlooks like front matter\n---\nslug: x\n",
        ),
        ArticleData(
            slug="emoji_crlf",
            title="🎉 Grattis åäö ÅÄÖ",
            lang="en-GB",
            body="🎉 emoji\r\nCRLF line\rlone CR\u2028line sep\u0085nel\ufeffbom\x0bvt",
            questions=["😀?", "  spaced question  ", "tab\tquestion", "new\nline"],
        ),
        ArticleData(slug="multiline-title", title='multi\nline\n---\n"title"\r\n', body=""),
        ArticleData(slug="no-newline", title=" leading space", body="no newline at the end"),
        ArticleData(slug="long", title="Long", body="lång rad " * 30_000 + "\n"),
        ArticleData(slug="basic-en", title="Refunds", lang="en", body="How to.\n", translation_of="basic"),
        ArticleData(slug="yaml-looking-target", title="T", lang="en", translation_of="2024-01-01"),
        ArticleData(slug="yes-en", title="Yes", lang="en", translation_of="yes"),
    ]
    articles += [
        ArticleData(slug=f"special-{i:02d}", title=title, body=f"body for {title}", tags=[title])
        for i, title in enumerate(YAML_SPECIALS)
    ]
    return sorted(articles, key=lambda a: f"{a.slug}.md")  # a Markdown folder is read in file-name order


def md(tmp_path: Path, text: str, name: str = "a.md") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def error_of(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as info:
        read_articles(path)
    return info.value


# --- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["kb", "kb.jsonl", "kb.csv"])
def test_round_trip_is_exact(tmp_path: Path, name: str) -> None:
    articles = tricky()
    write_articles(articles, tmp_path / name)
    assert read_articles(tmp_path / name) == articles


@pytest.mark.parametrize("name", ["kb.jsonl", "kb.csv"])
def test_files_keep_the_given_order(tmp_path: Path, name: str) -> None:
    articles = list(reversed(tricky()))
    write_articles(articles, tmp_path / name)
    assert read_articles(tmp_path / name) == articles


def test_cross_format_round_trip(tmp_path: Path) -> None:
    articles = tricky()
    write_articles(articles, tmp_path / "a")
    write_articles(read_articles(tmp_path / "a"), tmp_path / "b.jsonl")
    write_articles(read_articles(tmp_path / "b.jsonl"), tmp_path / "c.csv")
    write_articles(read_articles(tmp_path / "c.csv"), tmp_path / "d")
    assert read_articles(tmp_path / "d") == articles
    for a in articles:
        assert (tmp_path / "d" / f"{a.slug}.md").read_bytes() == (
            tmp_path / "a" / f"{a.slug}.md"
        ).read_bytes()


def test_empty_round_trip(tmp_path: Path) -> None:
    for name in ("kb", "kb.jsonl", "kb.csv"):
        write_articles([], tmp_path / name)
        assert read_articles(tmp_path / name) == []


def test_translation_of_is_written_only_when_set(tmp_path: Path) -> None:
    plain = ArticleData(slug="hej", title="Hej", body="Body\n")
    version = ArticleData(slug="hi", title="Hi", lang="en", body="Body\n", translation_of="hej")
    write_articles([plain, version], tmp_path / "out")
    assert "translation_of" not in (tmp_path / "out" / "hej.md").read_text()
    assert (tmp_path / "out" / "hi.md").read_text() == (
        "---\nslug: hi\ntitle: Hi\nlang: en\ntranslation_of: hej\ntags: []\nstatus: published\n"
        "questions: []\n---\n\nBody\n"
    )
    write_articles([plain, version], tmp_path / "kb.jsonl")
    first, second = (tmp_path / "kb.jsonl").read_text().splitlines()
    assert "translation_of" not in first
    assert second.startswith('{"slug": "hi", "title": "Hi", "lang": "en", "translation_of": "hej", "tags"')
    write_articles([plain], tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == "slug,title,lang,status,body,questions"
    write_articles([plain, version], tmp_path / "b.csv")
    text = (tmp_path / "b.csv").read_bytes().decode()
    assert text.splitlines()[0] == "slug,title,lang,status,body,questions,translation_of"
    assert text.endswith('"Body\n",,hej\r\n')
    for name in ("out", "kb.jsonl", "b.csv"):
        assert read_articles(tmp_path / name) == [plain, version]


def test_hand_written_translation_of(tmp_path: Path) -> None:
    md(tmp_path, "---\nslug: hi\ntitle: Hi\nlang: en\ntranslation_of: hej\n---\nBody\n")
    md(tmp_path, "---\nslug: hej\ntitle: Hej\ntranslation_of:\n---\nBody\n", "hej.md")
    assert [(a.slug, a.translation_of) for a in read_articles(tmp_path)] == [("hi", "hej"), ("hej", None)]
    path = tmp_path / "kb.jsonl"
    path.write_text('{"slug": "a", "title": "A", "translation_of": null}\n{"slug": "b", "title": "B", '
                    '"translation_of": "a"}\n')  # fmt: skip
    assert [a.translation_of for a in read_articles(path)] == [None, "a"]
    path = tmp_path / "kb.csv"
    path.write_text("translation_of,slug,title,lang,status,body,questions\n,a,A,sv,,x,\na,b,B,en,,y,\n")
    assert [a.translation_of for a in read_articles(path)] == [None, "a"]


def test_translation_of_errors_name_the_line(tmp_path: Path) -> None:
    folder = md(tmp_path, "---\nslug: hej\ntitle: Hej\n\ntranslation_of: hej\n---\nBody\n")
    err = error_of(folder)
    assert err.line == 5 and "names the article itself" in err.problem and "translation_of" in err.problem
    (tmp_path / "a.md").unlink()
    md(tmp_path, "---\nslug: hej\ntitle: Hej\ntranslation_of: 2024\n---\nBody\n")
    err = error_of(tmp_path)
    assert err.line == 4 and 'write it in quotes, "2024"' in err.problem
    path = tmp_path / "kb.csv"
    path.write_text("slug,title,lang,status,body,questions,translation_of\na,A,sv,,x,,Not A Slug\n")
    err = error_of(path)
    assert err.line == 2 and "translation_of must be the slug" in err.problem


def test_blank_questions_are_dropped(tmp_path: Path) -> None:
    article = ArticleData(slug="a", title="A", questions=["  ", "real"])
    for name in ("kb", "kb.jsonl", "kb.csv"):
        write_articles([article], tmp_path / name)
        assert read_articles(tmp_path / name)[0].questions == ["real"]


# --- hand-written input ------------------------------------------------------------------------------


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("a.md", b"---\nslug: a\ntitle: A\n---\n\nok\nbad \xff byte\n", 7),
        ("kb.jsonl", b'{"slug": "a", "title": "A"}\n{"slug": "b", "title": "\xc3("}\n', 2),
        ("kb.csv", b"slug,title,lang,status,body,questions\na,A,sv,published,x,\nb,\xe5,sv,published,,\n", 3),
    ],
)
def test_invalid_utf8(tmp_path: Path, name: str, content: bytes, line: int) -> None:
    (tmp_path / name).write_bytes(content)
    err = error_of(tmp_path if name.endswith(".md") else tmp_path / name)
    assert (err.path, err.line) == (str(tmp_path / name), line)
    assert "UTF-8" in err.problem


def test_duplicate_slug(tmp_path: Path) -> None:
    folder = tmp_path / "md"
    folder.mkdir()
    md(folder, "---\nslug: same\ntitle: A\n---\n", "a.md")
    md(folder, "---\ntitle: B\nslug: same\n---\n", "b.md")
    err = error_of(folder)
    assert (err.path, err.line) == (str(folder / "b.md"), 3)
    assert str(folder / "a.md") in err.problem and "its own slug" in err.problem
    jsonl = tmp_path / "kb.jsonl"
    jsonl.write_text(
        '{"slug": "same", "title": "A"}\n{"slug": "other", "title": "B"}\n{"slug": "same", "title": "C"}\n'
    )
    err = error_of(jsonl)
    assert err.line == 3 and "line 1" in err.problem
    csv_path = tmp_path / "kb.csv"
    csv_path.write_text("slug,title,lang,status,body,questions\nsame,A,sv,draft,x,\nsame,B,sv,draft,y,\n")
    assert error_of(csv_path).line == 3


@pytest.mark.parametrize("name", ["kb", "kb.jsonl", "kb.csv"])
def test_draft_status_is_preserved(tmp_path: Path, name: str) -> None:
    articles = [ArticleData(slug="a", title="A", status="draft"), ArticleData(slug="b", title="B")]
    write_articles(articles, tmp_path / name)
    assert [a.status for a in read_articles(tmp_path / name)] == ["draft", "published"]


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(tmp_path) == "markdown"
    assert detect_format(tmp_path / "a.md") == "markdown"
    assert detect_format(tmp_path / "a.JSONL") == "jsonl"
    assert detect_format(tmp_path / "a.csv") == "csv"
    with pytest.raises(ImportFormatError) as info:
        detect_format(tmp_path / "a.txt")
    assert info.value.path == str(tmp_path / "a.txt") and info.value.line is None
    (tmp_path / "a.json").write_text("[]")
    assert ".jsonl" in error_of(tmp_path / "a.json").problem
    assert "no such file" in error_of(tmp_path / "missing.csv").problem


def test_write_rejects_invalid_articles_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="duplicate slug 'a'"):
        write_articles([ArticleData(slug="a", title="A"), ArticleData(slug="a", title="B")], tmp_path / "x")
    with pytest.raises(ValidationError, match="slug"):
        write_articles([ArticleData(slug="../evil", title="A")], tmp_path / "y")
    with pytest.raises(ValidationError, match="Unicode"):
        write_articles([ArticleData(slug="a", title="\ud800")], tmp_path / "z.jsonl")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    assert not (tmp_path / "z.jsonl").exists()


def test_a_nul_character_is_refused_on_every_database() -> None:
    """PostgreSQL cannot store NUL in text; SQLite can: refused alike, with the field named."""
    for field, value in (("body", "a\x00b"), ("title", "T\x00"), ("questions", ["q\x00"])):
        data = {"slug": "nul", "title": "T", field: value}
        with pytest.raises(ValidationError, match=field) as info:
            ArticleData.from_dict(data)
        assert info.value.code == "invalid_text"
