"""`knowledge.format_csv`: CSV — the header, hand-written files, and errors at the start of the bad record."""

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


def test_csv_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text("slug,title,lang,status,body\na,A,sv,published,x\n")
    err = error_of(path)
    assert (err.path, err.line) == (str(path), 1)
    assert (
        "missing column(s) questions" in err.problem
        and "slug,title,lang,status,body,questions" in err.problem
    )


def test_csv_errors_name_the_record_start(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    header = "slug,title,lang,status,body,questions\n"
    path.write_text(header + 'a,A,sv,published,"multi\nline\nbody",\nb,B,sv,gone,x,\n')
    err = error_of(path)
    assert err.line == 5 and "status" in err.problem
    path.write_text(header + "a,A,sv,published,x,y\nb,B,sv,published,x, y,z\n")
    assert error_of(path).line == 3
    path.write_text(header + 'a,A,sv,published,x,\nb,B,sv,published,"unterminated\n')
    err = error_of(path)
    assert err.line == 3 and "double quotes" in err.problem
    path.write_text("")
    assert error_of(path).line == 1


def test_hand_written_csv(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(
        "\ufeffTitle,slug,body,questions,lang,status,tags\r\nA,a,Body,Hur?|Vad?,,draft,x||y\r\n,,,,,,\r\n".encode()
    )
    assert read_articles(path) == [
        ArticleData(
            slug="a", title="A", status="draft", body="Body", questions=["Hur?", "Vad?"], tags=["x", "y"]
        )
    ]
    path.write_text('slug;title;lang;status;body;questions\na;A;en;published;"x; y";\n')
    assert read_articles(path) == [ArticleData(slug="a", title="A", lang="en", body="x; y")]


def test_csv_header_is_the_spec_one_unless_there_are_tags(tmp_path: Path) -> None:
    write_articles([ArticleData(slug="a", title="A")], tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == "slug,title,lang,status,body,questions"
    write_articles([ArticleData(slug="a", title="A", tags=["x"])], tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text().splitlines()[0] == "slug,title,lang,status,body,questions,tags"
