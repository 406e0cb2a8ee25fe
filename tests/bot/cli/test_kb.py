"""`kundresa kb import|export|search` (bot/cli/kb.py) in-process: import/export round trips, kb search
--json, bad import files. The database is a SQLite file under tmp_path named by KUNDRESA_DATABASE__URL."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from knowledge.formats import read_articles
from tests.bot.cli.cli_helpers import DEMO_KB, Cli, slugs_in, warm_embedding_cache


def test_import_demo(demo_db: tuple[Path, str]) -> None:
    db, err = demo_db
    n = len(read_articles(DEMO_KB))
    assert f"imported {n} articles: {n} created, 0 updated, 0 unchanged" in err
    assert slugs_in(db) == [a.slug for a in read_articles(DEMO_KB)]


def test_reimport_is_unchanged(run: Cli, demo_db: tuple[Path, str]) -> None:
    db = run.db
    with (
        contextlib.closing(sqlite3.connect(demo_db[0])) as src,
        contextlib.closing(sqlite3.connect(db)) as dst,
    ):
        src.backup(dst)
    code, out, err = run("kb", "import", str(DEMO_KB))
    assert code == 0 and out == ""
    assert f"{len(read_articles(DEMO_KB))} unchanged" in err and " 0 created" in err
    assert slugs_in(db) == slugs_in(demo_db[0])


@pytest.mark.parametrize("name", ["out.jsonl", "out.csv", "out"])
def test_export_round_trip_is_exact(run: Cli, demo_db: tuple[Path, str], tmp_path: Path, name: str) -> None:
    first, again = tmp_path / "first" / name, tmp_path / "again" / name
    assert run.ok("kb", "export", str(first), db=demo_db[0]) == ""
    # the export holds the demo articles exactly as imported
    assert read_articles(first) == read_articles(DEMO_KB)

    fresh = tmp_path / "fresh.db"
    warm_embedding_cache(run, fresh, demo_db[0])
    code, _, err = run("kb", "import", str(first), db=fresh)
    assert code == 0, err
    assert f"{len(read_articles(DEMO_KB))} created" in err
    run.ok("kb", "export", str(again), db=fresh)
    if first.is_dir():
        files = sorted(p.name for p in first.iterdir())
        assert files == sorted(p.name for p in again.iterdir())
        assert len(files) == len(read_articles(DEMO_KB))
        for f in files:
            assert (first / f).read_bytes() == (again / f).read_bytes(), f
    else:
        assert first.read_bytes() == again.read_bytes()


def test_kb_search_json(run: Cli, demo_db: tuple[Path, str]) -> None:
    out = run.ok("kb", "search", "Can I pay with Swish?", "--json", db=demo_db[0])
    assert out.endswith("\n") and out.count("\n") == 1  # one document, nothing else on stdout
    result = json.loads(out)
    assert {"decision", "articles"} <= set(result)
    assert result["decision"] == "answer"
    assert result["articles"][0]["slug"] == "swish-betalning-en"  # an English question: the English version
    assert {"slug", "title", "score"} <= set(result["articles"][0])

    out = run.ok("kb", "search", "what's the capital of Australia", "--json", db=demo_db[0])
    result = json.loads(out)
    assert result["decision"] == "handoff"
    assert isinstance(result["articles"], list)

    out = run.ok("kb", "search", "Kan man betala med swish?", "--json", "--lang", "sv", db=demo_db[0])
    assert json.loads(out)["articles"][0]["slug"] == "swish-betalning"


def good(slug: str) -> dict[str, Any]:
    return {"slug": slug, "title": f"Title {slug}", "body": "Body.", "questions": [f"What about {slug}?"]}


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        (
            "broken.jsonl",
            json.dumps(good("first")) + "\n" + json.dumps(good("second")) + '\n{"slug": "third", "title": \n',
            3,
        ),
        (
            "invalid.jsonl",
            json.dumps(good("first")) + "\n" + json.dumps({"slug": "Not A Slug", "title": "x"}) + "\n",
            2,
        ),
        (
            "invalid.csv",
            "slug,title,lang,status,body,questions\n"
            "first,First,sv,published,Body,q1|q2\n"
            "second,Second,sv,archived,Body,q3\n",
            3,
        ),
    ],
)
def test_bad_import_file_imports_nothing(
    run: Cli, tmp_path: Path, name: str, content: str, line: int
) -> None:
    keep = tmp_path / "keep.jsonl"
    keep.write_text(json.dumps(good("kept")) + "\n", encoding="utf-8")
    run.ok("kb", "import", str(keep))
    assert slugs_in(run.db) == ["kept"]

    (tmp_path / name).write_text(content, encoding="utf-8")
    code, out, err = run("kb", "import", name)
    assert code == 2
    assert out == ""
    assert re.search(rf"{re.escape(name)}:{line}\b", err), err
    assert "Traceback" not in err
    assert slugs_in(run.db) == ["kept"]


def test_missing_import_path_and_unknown_suffix(run: Cli, tmp_path: Path) -> None:
    code, _, err = run("kb", "import", "nowhere.jsonl")
    assert code == 2 and "nowhere.jsonl" in err
    (tmp_path / "articles.json").write_text("[]", encoding="utf-8")
    code, _, err = run("kb", "import", "articles.json")
    assert code == 2 and ".jsonl" in err
