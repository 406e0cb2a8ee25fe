"""knowledge/tuned_model.py: the pointer to the current tuned model is replaced atomically, and a broken
or foreign pointer falls back to the base model with a warning (tuning itself: test_tuning.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.embedder import BUNDLED_ID, Embedder
from knowledge.tuned_model import (
    MODELS_DIR,
    POINTER,
    Pointer,
    find_tuned,
    read_pointer,
    write_pointer,
)
from tests.knowledge.tuning_helpers import bundled, log_says


def test_pointer_is_replaced_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = Pointer("tuned-old", BUNDLED_ID, "h1", "2026-01-01T00:00:00+00:00")
    write_pointer(tmp_path, old)

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_pointer(tmp_path, Pointer("tuned-new", BUNDLED_ID, "h2", "2026-01-02T00:00:00+00:00"))
    assert read_pointer(tmp_path) == old
    assert [p.name for p in tmp_path.iterdir()] == [POINTER]


def test_corrupt_pointer_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / MODELS_DIR).mkdir()
    (tmp_path / MODELS_DIR / POINTER).write_text('{"path": "tuned-x"')
    emb = Embedder(bundled(tmp_path))
    assert emb.tuned is None and emb.model_id == BUNDLED_ID
    assert log_says(caplog, "not a tuned-model pointer")


def test_pointer_of_another_base_model_or_a_missing_folder_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    models = tmp_path / MODELS_DIR
    write_pointer(models, Pointer("tuned-x", "multilingual-e5-small-q4", "h", "t"))
    assert find_tuned(bundled(tmp_path), BUNDLED_ID) is None
    assert log_says(caplog, "it was tuned from multilingual-e5-small-q4")
    write_pointer(models, Pointer("tuned-gone", BUNDLED_ID, "h", "t"))
    assert find_tuned(bundled(tmp_path), BUNDLED_ID) is None
    assert log_says(caplog, "missing or incomplete")
