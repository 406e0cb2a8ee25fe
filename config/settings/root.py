"""The root `Settings` (one field a group) and `load_settings`: files, then `KUNDRESA_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from config.errors import ConfigError
from config.settings.channels import EmailSettings, SlackSettings
from config.settings.chat import ChatSettings, RecoverySettings, RetentionSettings, RoutingSettings
from config.settings.model import ModelSettings, default_tuned_dir
from config.settings.proactive import ProactiveSettings
from config.settings.search import SearchSettings
from config.settings.server import DatabaseSettings, GCSettings, LoggingSettings, ServerSettings
from config.settings.sources import DEFAULT_TOML, TomlFiles


class Settings(BaseSettings):
    """All of Kundresa's settings. Build with `load_settings`; pass the object in, never read globals."""

    model_config = SettingsConfigDict(env_prefix="KUNDRESA_", env_nested_delimiter="__", extra="forbid")

    demo: bool = False
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    recovery: RecoverySettings = Field(default_factory=RecoverySettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    proactive: ProactiveSettings = Field(default_factory=ProactiveSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    gc: GCSettings = Field(default_factory=GCSettings)

    # Set by load_settings on a subclass: pydantic-settings builds its sources per class.
    toml_files: ClassVar[list[Path]] = [DEFAULT_TOML]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = getattr(settings_cls, "toml_files", [DEFAULT_TOML])
        return (init_settings, env_settings, TomlFiles(settings_cls, files))

    @model_validator(mode="after")
    def _tuned_dir(self) -> Settings:
        if not self.model.tuned_dir:
            self.model.tuned_dir = str(default_tuned_dir(self.database.url, self.model.cache_path()))
        return self

    @model_validator(mode="after")
    def _blank_secrets(self) -> Settings:
        # An empty value (`KUNDRESA_CHAT__IDENTITY_SECRET=`) is a missing secret, never an HMAC key "".
        # Secrets have no defaults: outside demo mode a missing one that an enabled feature needs stops
        # the server (`missing_secrets`); in demo mode the server generates it once per installation and
        # stores it in the database (`router.install_secrets`), so restarts and every process share it.
        if self.chat.identity_secret is not None and not self.chat.identity_secret.get_secret_value():
            self.chat.identity_secret = None
        events = self.proactive.events_secret
        if events is not None and not events.get_secret_value():
            self.proactive.events_secret = None
        return self


def load_settings(
    config_file: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read default.toml, then `config_file`, then `KUNDRESA_*` (and `DATABASE_URL`), then `overrides`."""
    files = [DEFAULT_TOML]
    if config_file is not None:
        files.append(Path(config_file))
    env = dict(os.environ if environ is None else environ)

    class _Loaded(Settings):
        toml_files: ClassVar[list[Path]] = files

    saved = dict(os.environ)
    try:
        # pydantic-settings reads os.environ; swap in the requested mapping for the duration.
        if environ is not None:
            os.environ.clear()
            os.environ.update(env)
        url = env.get("DATABASE_URL")
        if url and "KUNDRESA_DATABASE__URL" not in env:
            overrides.setdefault("database", {})
            if isinstance(overrides["database"], dict):
                overrides["database"].setdefault("url", url)
        settings: Settings = _Loaded(**overrides)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
    finally:
        if environ is not None:
            os.environ.clear()
            os.environ.update(saved)
    return settings
