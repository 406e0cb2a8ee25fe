"""bot/channels/slack/lifecycle.py: HTTP mode and Socket Mode reach the same listeners; the Slack settings
are checked when the app is built."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import create_app
from bot.channels.slack import SlackIntegration
from config import ConfigError, Settings
from tests.bot.channels.slack.slack_app import (
    QUESTION,
    idle,
)
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import DM, SECRET, dm, event_body, post_signed


async def test_socket_mode_uses_the_same_listeners_as_http_mode(
    make_settings: Callable[..., Settings],
) -> None:
    base = {"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base_url": "http://127.0.0.1:9/api/"}
    http = SlackIntegration(make_settings(slack=base), None, None, None)  # type: ignore[arg-type]
    sock = SlackIntegration(
        make_settings(slack={**base, "socket_mode": True, "app_token": "xapp-test"}),
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )

    def described(integration: SlackIntegration) -> list[tuple[str, int]]:
        return [(lst.ack_function.__name__, len(lst.matchers)) for lst in integration.bolt._async_listeners]

    assert described(http) == described(sock)
    assert [name for name, _ in described(http)] == http.listeners == sock.listeners
    assert "on_message" in http.listeners and "on_command" in http.listeners
    handler = sock.make_socket_handler()
    try:
        assert handler.app is sock.bolt
        assert handler.client.web_client is sock.client
    finally:
        await handler.close_async()
    # HTTP 429 is not slept through inside a call: the stored work is retried after Retry-After.
    retry = [type(h).__name__ for h in http.client.retry_handlers]
    assert "AsyncRateLimitErrorRetryHandler" not in retry


async def test_socket_mode_end_to_end(
    fake_slack: FakeSlackAPI, slack_settings: Settings, aiohttp_client: Any
) -> None:
    """Over the socket: the event is acked on the socket and answered like in HTTP mode; no HTTP endpoint."""
    settings = slack_settings.model_copy(
        update={
            "slack": slack_settings.slack.model_copy(
                update={"socket_mode": True, "app_token": SecretStr("xapp-test"), "signing_secret": None}
            )
        }
    )
    client = await aiohttp_client(create_app(settings))
    body = json.loads(event_body(dm(QUESTION, "1700000800.000100"), "EvSOCKET"))
    envelope = {
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": body,
    }
    await fake_slack.socket_send(envelope)
    await fake_slack.socket_send({**envelope, "envelope_id": "env-2", "retry_attempt": 1})
    [reply] = await fake_slack.wait_for("chat.postMessage", channel=DM)
    assert reply.params["thread_ts"] == "1700000800.000100"
    await idle(client)
    assert {a.get("envelope_id") for a in fake_slack.socket_acks} >= {"env-1", "env-2"}
    assert len(fake_slack.calls_to("chat.postMessage", channel=DM)) == 1
    resp = await post_signed(client, event_body(dm(QUESTION, "1700000801.000100")))
    assert resp.status == 404


def test_slack_settings_are_checked_when_the_app_is_built(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="signing_secret"):
        create_app(make_settings(slack={"bot_token": "xoxb-test"}))
    with pytest.raises(ConfigError, match="app_token"):
        create_app(make_settings(slack={"bot_token": "xoxb-test", "socket_mode": True}))
    app = create_app(make_settings())
    assert not [r for r in app.router.routes() if r.resource and r.resource.canonical == "/slack/events"]
