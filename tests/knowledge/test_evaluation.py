"""knowledge/evaluation.py's parts around the search: AUROC, accuracy at an out-of-scope recall, the case
file and the BANKING77 / CLINC150 loaders on tiny files (the real runs: test_answer_quality.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from config import ImportFormatError, ValidationError
from knowledge.evaluation import (
    EvalCase,
    accuracy_at_recall,
    auroc,
    load_banking77,
    load_cases,
    load_clinc150,
)


def test_auroc() -> None:
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1, 0.2], [0.9, 0.8]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5  # ties count half
    assert auroc([0.9, 0.3], [0.5]) == 0.5
    assert auroc([], [0.1]) is None and auroc([0.1], []) is None


def result(confidence: float) -> Any:
    return SimpleNamespace(confidence=confidence)  # all accuracy_at_recall reads of a SearchResult


def test_accuracy_at_recall_keeps_what_scores_above_the_out_of_scope_quantile() -> None:
    oos = [(EvalCase("x", None), result(c)) for c in (0.1, 0.2, 0.3, 0.4, 0.5)]
    in_scope = [(EvalCase("q", "a"), result(c)) for c in (0.9, 0.6, 0.35, 0.95)]
    right = [True, True, True, False]
    # 80 % of the out-of-scope confidences lie below 0.42: 0.9 and 0.6 are kept and right; 0.95 is wrong
    assert accuracy_at_recall(in_scope, oos, right, 0.8) == 0.5
    assert accuracy_at_recall([], oos, [], 0.8) is None


def test_load_cases_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"question": "Swish?", "expected": "swish"}\n\n{"question": "Väder?", "expected": null}\n'
    )
    assert load_cases(path) == [EvalCase("Swish?", "swish"), EvalCase("Väder?", None)]
    path.write_text('{"question": "Swish?", "expected": "swish"}\n{"question": "no expected"}\n')
    with pytest.raises(ImportFormatError) as error:
        load_cases(path)
    assert error.value.line == 2
    path.write_text("{not json\n")
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        load_cases(path)


def test_banking77_articles_from_train_and_cases_from_test(tmp_path: Path) -> None:
    folder = tmp_path / "banking77"
    folder.mkdir()
    rows = "".join(f'"card q{i}",card_arrival\n"pin q{i}",change_pin\n' for i in range(6))
    (folder / "train.csv").write_text("text,category\n" + rows)
    (folder / "test.csv").write_text('text,category\n"where is my card",card_arrival\n')
    full = load_banking77(tmp_path)
    assert [(a.slug, a.title, len(a.questions)) for a in full.articles] == [
        ("card_arrival", "Card arrival", 6),
        ("change_pin", "Change pin", 6),
    ]
    assert full.cases == [EvalCase("where is my card", "card_arrival")]
    few = load_banking77(tmp_path, shots=2)
    assert [len(a.questions) for a in few.articles] == [2, 2]
    assert few.articles == load_banking77(tmp_path, shots=2).articles  # the same sample every run
    with pytest.raises(ValidationError, match="not found"):
        load_banking77(tmp_path / "nowhere")


def test_clinc150_adds_its_out_of_scope_cases(tmp_path: Path) -> None:
    (tmp_path / "clinc150").mkdir()
    data = {
        "train": [["what is my balance", "balance"], ["book a flight", "book_flight"]],
        "test": [["balance please", "balance"]],
        "oos_train": [],
        "oos_test": [["how tall is a giraffe", "oos"]],
    }
    (tmp_path / "clinc150" / "data_full.json").write_text(json.dumps(data))
    clinc = load_clinc150(tmp_path)
    assert [a.slug for a in clinc.articles] == ["balance", "book_flight"]
    assert clinc.cases == [EvalCase("balance please", "balance"), EvalCase("how tall is a giraffe", None)]
