"""config/settings/channels.py: Slack and email are on only when configured."""

from __future__ import annotations

from pydantic import SecretStr

from config import EmailSettings, SlackSettings


def test_slack_is_on_with_a_bot_token_and_email_with_a_host() -> None:
    assert not SlackSettings().enabled
    assert not SlackSettings(bot_token=SecretStr("")).enabled
    assert SlackSettings(bot_token=SecretStr("xoxb-1")).enabled
    assert not EmailSettings().enabled
    assert not EmailSettings(host="  ").enabled
    assert EmailSettings(host="smtp.example").enabled
