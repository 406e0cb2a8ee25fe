"""Helpers of the tuning tests: settings for the bundled model with a tuned-models folder, warnings said."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config import ModelSettings


def bundled(tmp: Path | None, **extra: object) -> ModelSettings:
    return ModelSettings(
        name="bundled", worker="thread", dtype="float32", tuned_dir=str(tmp) if tmp else "", **extra
    )


def log_says(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return any(words in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
