"""bot/channels/slack/erase.py against the fake Slack Web API with threads (tests/privacy_helpers.py): the
app's own posts in a thread are deleted, people's are counted as left, a thread that is gone is no failure
(erasing a whole customer: tests/router/privacy/test_erase.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.erase import erase_threads
from tests.privacy_helpers import ThreadedSlack


@pytest.fixture
async def slack() -> AsyncIterator[ThreadedSlack]:
    fake = ThreadedSlack()
    await fake.start()
    yield fake
    await fake.close()


async def test_own_posts_go_peoples_stay_and_gone_threads_are_fine(slack: ThreadedSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
    root = (await client.chat_postMessage(channel="C_AGENTS", text="Ticket #7 · Kim"))["ts"]
    await client.chat_postMessage(channel="C_AGENTS", text="Kim: mitt kort nekas", thread_ts=root)
    slack.add_message("C_AGENTS", "1700000999.000100", "U_AGENT", "Sven svarar", thread_ts=root)
    slack.add_message("D_KIM", "1700000001.000100", "U_KIM", "hej")  # the customer's own DM
    counts = await erase_threads(
        client,
        [
            {"channel": "C_AGENTS", "ts": root},
            {"channel": "D_KIM", "ts": "1700000001.000100"},
            {"channel": "C_GONE", "ts": "1.2"},
        ],
    )
    assert counts == {"threads": 3, "deleted": 2, "left": 2, "failed": 0}
    assert [m["text"] for m in slack.history["C_AGENTS"]] == ["Sven svarar"]
    assert [m["text"] for m in slack.history["D_KIM"]] == ["hej"]


async def test_a_refused_delete_is_a_failure(slack: ThreadedSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.base_url)
    root = (await client.chat_postMessage(channel="C_AGENTS", text="Ticket #8"))["ts"]
    slack.refuse("chat.delete", "ratelimited_forever")
    counts = await erase_threads(client, [{"channel": "C_AGENTS", "ts": root}])
    assert counts == {"threads": 1, "deleted": 0, "left": 0, "failed": 1}
