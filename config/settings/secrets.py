"""Which secrets an enabled feature needs: the server refuses to start without them (outside demo mode)."""

from __future__ import annotations

from config.errors import ConfigError
from config.settings.root import Settings

# Secrets the server may fill in by itself in demo mode (random, stored once per installation).
DEMO_SECRETS = ("chat.identity_secret", "proactive.events_secret")


def missing_secrets(settings: Settings) -> list[str]:
    """What an enabled feature needs and is not set, each naming the setting and its variable; empty
    when the server may start. In demo mode `DEMO_SECRETS` do not count: they are generated."""
    problems: list[str] = []
    if settings.chat.signed_users and settings.chat.identity_secret is None and not settings.demo:
        problems.append(
            "chat.identity_secret (KUNDRESA_CHAT__IDENTITY_SECRET) is not set: the HMAC key your shop "
            "signs `user` with; or set chat.signed_users = false for an anonymous-only chat"
        )
    slack = settings.slack
    if slack.enabled:
        if slack.socket_mode and not (slack.app_token and slack.app_token.get_secret_value()):
            problems.append(
                "slack.app_token (KUNDRESA_SLACK__APP_TOKEN) is not set: Socket Mode needs an xapp-… token"
            )
        if not slack.socket_mode and not (slack.signing_secret and slack.signing_secret.get_secret_value()):
            problems.append(
                "slack.signing_secret (KUNDRESA_SLACK__SIGNING_SECRET) is not set: Slack in HTTP mode "
                "needs it (the app's Basic Information page)"
            )
    return problems


def check_secrets(settings: Settings) -> None:
    """`ConfigError` naming every missing secret (see `missing_secrets`)."""
    problems = missing_secrets(settings)
    if problems:
        raise ConfigError("refusing to start: " + "; ".join(problems))
