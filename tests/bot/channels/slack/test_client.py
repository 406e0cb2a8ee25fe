"""bot/channels/slack/client.py: the real Web API client against the fake Slack on 127.0.0.1; which failures
are transient (the stored work is retried) and that every failed call is reported with its error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk.errors import SlackApiError

from bot.channels.slack.client import (
    CountingWebClient,
    build_client,
    classify_slack,
    error_code,
    is_transient,
)
from config import Settings
from tests.fakes.slack_api import FakeSlackAPI


def client_for(
    fake: FakeSlackAPI, make_settings: Callable[..., Settings]
) -> tuple[CountingWebClient, list[tuple[str, str]]]:
    settings = make_settings(
        slack={"bot_token": "xoxb-test", "signing_secret": "s", "api_base_url": fake.base_url}
    )
    errors: list[tuple[str, str]] = []
    return build_client(settings.slack, lambda method, error: errors.append((method, error))), errors


async def test_refusals_are_permanent_and_outages_transient(
    fake_slack: FakeSlackAPI, make_settings: Callable[..., Settings]
) -> None:
    client, errors = client_for(fake_slack, make_settings)
    fake_slack.refuse("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C1", text="hej")
    assert error_code(refused.value) == "channel_not_found"
    assert not is_transient(refused.value)

    fake_slack.rate_limit("chat.postMessage")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="hej")
    verdict = classify_slack(limited.value)
    assert verdict.transient and verdict.retry_after == 1.0  # the fake's Retry-After

    fake_slack.fail(1, status=503)
    with pytest.raises(SlackApiError) as away:
        await client.chat_postMessage(channel="C1", text="hej")
    assert is_transient(away.value)

    fake_slack.refuse("chat.postMessage", "internal_error")  # HTTP 200 that still means "later"
    with pytest.raises(SlackApiError) as internal:
        await client.chat_postMessage(channel="C1", text="hej")
    assert is_transient(internal.value)

    await client.chat_postMessage(channel="C1", text="hej")  # and the next call goes through
    assert errors == [
        ("chat.postMessage", "channel_not_found"),
        ("chat.postMessage", "ratelimited"),
        ("chat.postMessage", error_code(away.value)),
        ("chat.postMessage", "internal_error"),
    ]


async def test_a_refused_connection_is_transient_and_reported_as_connection(
    fake_slack: FakeSlackAPI, make_settings: Callable[..., Settings]
) -> None:
    client, errors = client_for(fake_slack, make_settings)
    await fake_slack.down()
    with pytest.raises(Exception) as down:
        await client.auth_test()
    assert is_transient(down.value)
    assert errors == [("auth.test", "connection")]


def test_other_errors_are_permanent() -> None:
    assert not is_transient(ValueError("a bug"))
    assert is_transient(TimeoutError())


async def test_an_html_error_page_is_reported_by_its_status(
    fake_slack: FakeSlackAPI, make_settings: Callable[..., Settings]
) -> None:
    client, errors = client_for(fake_slack, make_settings)
    fake_slack.fail(1, status=503)
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="hej")
    assert errors == [("chat.postMessage", "HTTP 503")]
