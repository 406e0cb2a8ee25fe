"""The `kundresa` command in-process: kb import/export round trips, kb search --json, user add, bad
import files, eval --json. The database is a SQLite file under tmp_path named by KUNDRESA_DATABASE__URL."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.app import create_app
from config import Settings
from knowledge.formats import read_articles

DEMO_KB = Path(__file__).resolve().parent.parent.parent / "knowledge" / "demo"
ENV = "KUNDRESA_DATABASE__URL"


def url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


class Cli:
    """Runs `kundresa ARGS` in this process against one database; returns (exit code, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
        self.capsys, self.monkeypatch, self.db = capsys, monkeypatch, db

    def __call__(self, *argv: str, db: Path | None = None) -> tuple[int, str, str]:
        self.monkeypatch.setenv(ENV, url(db or self.db))
        self.capsys.readouterr()
        code = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *argv: str, db: Path | None = None) -> str:
        code, out, err = self(*argv, db=db)
        assert code == 0, err
        return out


def slugs_in(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT slug FROM articles ORDER BY id")]


def warm_embedding_cache(run: Cli, fresh: Path, source: Path) -> None:
    """A new, migrated database whose only rows are `source`'s embedding cache (vectors keyed by text
    hash, no article data), so importing the demo into it does not embed ~260 texts again."""
    run.ok("db", "upgrade", db=fresh)
    with contextlib.closing(sqlite3.connect(fresh)) as conn:
        conn.execute("ATTACH DATABASE ? AS source", (str(source),))
        conn.execute("INSERT INTO embedding_cache SELECT * FROM source.embedding_cache")
        conn.commit()
        conn.execute("DETACH DATABASE source")
    assert slugs_in(fresh) == []


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`kundresa kb import knowledge/demo` into a database shared (read-only) by this module's tests."""
    folder = tmp_path_factory.mktemp("cli-demo")
    db = folder / "demo.db"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, url(db))
        mp.chdir(folder)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["kb", "import", str(DEMO_KB)])
    assert code == 0, err.getvalue()
    assert out.getvalue() == ""  # progress and the report go to stderr
    return db, err.getvalue()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    monkeypatch.chdir(tmp_path)
    return Cli(capsys, monkeypatch, tmp_path / "kundresa.db")


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


def test_eval_file_json(run: Cli, demo_db: tuple[Path, str], tmp_path: Path) -> None:
    cases = [
        {"question": "Can I pay with Swish?", "expected": "swish-betalning"},
        {"question": "Kan man betala med swish?", "expected": "swish-betalning"},
        {"question": "what's the capital of Australia", "expected": None},
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    out = run.ok("eval", str(path), "--json", db=demo_db[0])
    assert out.count("\n") == 1
    report = json.loads(out)
    keys = {"top1_accuracy", "answer_rate", "answered_accuracy", "handoff_recall", "auroc", "n", "seconds"}
    assert keys <= set(report)
    assert report["n"] == 3
    assert report["top1_accuracy"] == 1.0
    assert report["handoff_recall"] == 1.0
    assert report["auroc"] == 1.0
    assert report["answer_rate"] == pytest.approx(2 / 3)
    assert report["answered_accuracy"] == 1.0
    assert report["seconds"] >= 0

    bad = tmp_path / "bad-cases.jsonl"
    bad.write_text(json.dumps(cases[0]) + '\n{"question": "no expected"}\n', encoding="utf-8")
    code, out, err = run("eval", str(bad), "--json", db=demo_db[0])
    assert code == 2 and out == ""
    assert "bad-cases.jsonl:2" in err


# --- bad import files -------------------------------------------------------------------------------


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


# --- users ------------------------------------------------------------------------------------------


async def test_user_add_prints_a_working_token(
    run: Cli, aiohttp_client: Any, make_settings: Any, tmp_path: Path
) -> None:
    code, out, err = await asyncio.to_thread(run, "user", "add", "olga", "--role", "agent")
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and len(token) >= 32
    assert token not in err

    with contextlib.closing(sqlite3.connect(run.db)) as conn:
        rows = conn.execute("SELECT * FROM users").fetchall()
        (name, role, digest) = conn.execute("SELECT name, role, token_hash FROM users").fetchone()
    assert (name, role) == ("olga", "agent")
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert len(rows) == 1 and not any(token in str(cell) for cell in rows[0])

    code, out, err = await asyncio.to_thread(run, "user", "add", "olga", "--role", "admin")
    assert code == 2 and out == "" and "olga" in err

    settings: Settings = make_settings(database={"url": url(run.db)}, server={"load_demo_kb": False})
    client = await aiohttp_client(create_app(settings))
    headers = {"Authorization": f"Bearer {token}"}
    resp = await client.get("/api/articles", headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post("/api/articles", json=good("x"), headers=headers)
    assert resp.status == 403  # an agent, not an admin
    resp = await client.get("/api/articles", headers={"Authorization": f"Bearer {token}x"})
    assert resp.status == 401


def test_user_add_role_must_be_known(run: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        run("user", "add", "bo", "--role", "owner")
    assert exc.value.code == 2
