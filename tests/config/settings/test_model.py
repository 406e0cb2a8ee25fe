"""config/settings/model.py: where models are cached and where tuned models go."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ModelSettings, load_settings
from config.settings import default_tuned_dir


def test_tuned_models_sit_next_to_a_sqlite_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    db = tmp_path / "data" / "k.db"
    assert default_tuned_dir(f"sqlite+aiosqlite:///{db}", cache) == db.parent.resolve()
    assert default_tuned_dir("sqlite+aiosqlite:///:memory:", cache) == cache
    assert default_tuned_dir("postgresql+asyncpg://u@h/db", cache) == cache
    assert default_tuned_dir("not a url", cache) == cache


def test_settings_fill_in_tuned_dir_unless_set(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    settings = load_settings(environ={"KUNDRESA_DATABASE__URL": f"sqlite+aiosqlite:///{db}"})
    assert settings.model.tuned_dir == str(tmp_path.resolve())
    chosen = load_settings(environ={"KUNDRESA_MODEL__TUNED_DIR": str(tmp_path / "t")})
    assert chosen.model.tuned_dir == str(tmp_path / "t")


def test_cache_path_follows_xdg_unless_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ModelSettings().cache_path() == tmp_path / "kundresa"
    assert ModelSettings(cache_dir="~/models").cache_path() == Path("~/models").expanduser()
