"""`kundresa eval FILE --json` (bot/cli/evaluate.py) on the demo knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.cli.cli_helpers import Cli


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
