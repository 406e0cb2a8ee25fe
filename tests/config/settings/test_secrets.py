"""config/settings/secrets.py: which secrets block start-up, and secrets never show in printed settings."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings
from config.settings import DEMO_SECRETS, check_secrets, missing_secrets

SECRET = "do-not-print-me-7f3a"


def test_signed_users_need_the_identity_secret_outside_demo_mode() -> None:
    problems = missing_secrets(load_settings(environ={"KUNDRESA_DEMO": "false"}))
    assert len(problems) == 1 and "KUNDRESA_CHAT__IDENTITY_SECRET" in problems[0]
    assert missing_secrets(load_settings(environ={"KUNDRESA_DEMO": "true"})) == []  # generated instead
    anonymous = {"KUNDRESA_DEMO": "false", "KUNDRESA_CHAT__SIGNED_USERS": "false"}
    assert missing_secrets(load_settings(environ=anonymous)) == []
    assert "chat.identity_secret" in DEMO_SECRETS and "proactive.events_secret" in DEMO_SECRETS


def test_slack_needs_the_secret_of_its_mode() -> None:
    base = {"KUNDRESA_DEMO": "true", "KUNDRESA_SLACK__BOT_TOKEN": "xoxb-1"}
    http = missing_secrets(load_settings(environ=base))
    assert len(http) == 1 and "KUNDRESA_SLACK__SIGNING_SECRET" in http[0]
    socket = missing_secrets(load_settings(environ={**base, "KUNDRESA_SLACK__SOCKET_MODE": "true"}))
    assert len(socket) == 1 and "KUNDRESA_SLACK__APP_TOKEN" in socket[0]
    signed = {**base, "KUNDRESA_SLACK__SIGNING_SECRET": "x"}
    assert missing_secrets(load_settings(environ=signed)) == []


def test_check_secrets_names_every_missing_one() -> None:
    settings = load_settings(environ={"KUNDRESA_DEMO": "false", "KUNDRESA_SLACK__BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError) as caught:
        check_secrets(settings)
    assert caught.value.message.startswith("refusing to start: ")
    assert "IDENTITY_SECRET" in caught.value.message and "SIGNING_SECRET" in caught.value.message
    assert caught.value.status == 500


def test_secret_values_are_never_printed() -> None:
    settings = load_settings(
        environ={
            "KUNDRESA_CHAT__IDENTITY_SECRET": SECRET,
            "KUNDRESA_PROACTIVE__EVENTS_SECRET": SECRET,
            "KUNDRESA_SLACK__BOT_TOKEN": SECRET,
            "KUNDRESA_SLACK__SIGNING_SECRET": SECRET,
            "KUNDRESA_SLACK__APP_TOKEN": SECRET,
            "KUNDRESA_EMAIL__USERNAME": SECRET,
            "KUNDRESA_EMAIL__PASSWORD": SECRET,
        }
    )
    for shown in (str(settings), repr(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert SECRET not in shown
    assert settings.email.password is not None and settings.email.password.get_secret_value() == SECRET
