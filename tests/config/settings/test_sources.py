"""config/settings/sources.py: the default file, then the user's, deep-merged; clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import DEFAULT_TOML


def test_the_default_file_ships_with_the_package() -> None:
    assert DEFAULT_TOML.name == "default.toml" and DEFAULT_TOML.is_file()
    assert DEFAULT_TOML.parent.name == "config"


def test_a_users_file_overrides_one_key_of_a_table_and_keeps_the_rest(tmp_path: Path) -> None:
    user = tmp_path / "k.toml"
    user.write_text("[search.languages.sv]\nlexical_weight = 0.9\n")
    settings = load_settings(user, environ={})
    assert settings.search.languages["sv"].lexical_weight == 0.9
    default = load_settings(environ={}).search
    assert settings.search.answer_confidence == default.answer_confidence


def test_a_missing_file_and_bad_toml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[server\nport = 1\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(bad, environ={})
