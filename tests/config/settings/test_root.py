"""config/settings/root.py: `KUNDRESA_*` variables land in the nested groups; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, Settings, load_settings


def test_env_names_parse_into_the_nested_groups() -> None:
    settings = load_settings(
        environ={
            "KUNDRESA_DEMO": "true",
            "KUNDRESA_SERVER__PORT": "9123",
            "KUNDRESA_SERVER__TRUSTED_PROXIES": '["10.0.0.0/8"]',
            "KUNDRESA_DATABASE__URL": "sqlite+aiosqlite:///:memory:",
            "KUNDRESA_MODEL__WORKER": "thread",
            "KUNDRESA_SEARCH__ANSWER_CONFIDENCE": "0.8",
            "KUNDRESA_SEARCH__LANGUAGES__SV__LEXICAL_WEIGHT": "0.5",
            "KUNDRESA_CHAT__IDENTITY_SECRET": "s3cret",
            "KUNDRESA_ROUTING__TEAMS__BILLING": "money",
            "KUNDRESA_RECOVERY__GRACE_SECONDS": "5",
            "KUNDRESA_SLACK__BOT_TOKEN": "xoxb-1",
            "KUNDRESA_PROACTIVE__QUIET_MINUTES": "2.5",
            "KUNDRESA_RETENTION__GAPS_DAYS": "30",
            "KUNDRESA_LOGGING__FORMAT": "json",
            "KUNDRESA_EMAIL__HOST": "smtp.example",
        }
    )
    assert settings.demo is True
    assert settings.server.port == 9123
    assert settings.server.trusted_proxies == ["10.0.0.0/8"]
    assert settings.database.url == "sqlite+aiosqlite:///:memory:"
    assert settings.model.worker == "thread"
    assert settings.search.answer_confidence == 0.8
    assert settings.search.languages["sv"].lexical_weight == 0.5
    assert settings.chat.identity_secret is not None
    assert settings.chat.identity_secret.get_secret_value() == "s3cret"
    assert settings.routing.teams["billing"] == "money"  # merged with the default file's teams
    assert settings.recovery.grace_seconds == 5.0
    assert settings.slack.enabled
    assert settings.proactive.quiet_minutes == 2.5
    assert settings.retention.gaps_days == 30
    assert settings.logging.format == "json"
    assert settings.email.enabled


def test_order_is_default_file_then_user_file_then_environment_then_overrides(tmp_path: Path) -> None:
    user = tmp_path / "kundresa.toml"
    user.write_text("[server]\nport = 7000\nhost = '0.0.0.0'\n[chat]\nmessages_per_minute = 5\n")
    settings = load_settings(user, environ={"KUNDRESA_SERVER__PORT": "7001"}, chat={"messages_per_minute": 6})
    assert settings.server.host == "0.0.0.0"  # the file
    assert settings.server.port == 7001  # the environment over the file
    assert settings.chat.messages_per_minute == 6  # overrides over everything
    assert settings.server.max_body_bytes == Settings.model_fields["server"].default_factory().max_body_bytes  # type: ignore[misc]


def test_database_url_is_read_unless_kundresa_names_one() -> None:
    assert load_settings(environ={"DATABASE_URL": "sqlite:///a.db"}).database.url == "sqlite:///a.db"
    both = {"DATABASE_URL": "sqlite:///a.db", "KUNDRESA_DATABASE__URL": "sqlite:///b.db"}
    assert load_settings(environ=both).database.url == "sqlite:///b.db"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"KUNDRESA_SERVER__PORT": "eighty"}, "server.port"),
        ({"KUNDRESA_MODEL__WORKER": "cloud"}, "model.worker"),
        ({"KUNDRESA_RETENTION__BATCH_SIZE": "0"}, "retention.batch_size"),
        ({"KUNDRESA_SERVER__TRUSTED_PROXIES": '["not-an-ip"]'}, "not-an-ip"),
        ({"KUNDRESA_PROACTIVE__TIMEZONE": "Mars/Olympus"}, "Mars/Olympus"),
    ],
)
def test_bad_values_give_a_config_error_naming_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert caught.value.message.startswith("invalid settings:")
    assert named in caught.value.message


def test_an_unknown_group_in_the_users_file_is_an_error(tmp_path: Path) -> None:
    user = tmp_path / "k.toml"
    user.write_text("[sever]\nport = 80\n")  # a misspelt group is an error, not silently ignored
    with pytest.raises(ConfigError, match="sever"):
        load_settings(user, environ={})


def test_blank_secrets_are_missing_secrets() -> None:
    settings = load_settings(
        environ={"KUNDRESA_CHAT__IDENTITY_SECRET": "", "KUNDRESA_PROACTIVE__EVENTS_SECRET": ""}
    )
    assert settings.chat.identity_secret is None
    assert settings.proactive.events_secret is None


def test_the_callers_environment_is_left_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUNDRESA_SERVER__PORT", "8181")
    assert load_settings(environ={}).server.port == 8080  # the mapping given, not os.environ
    assert load_settings().server.port == 8181
