"""The Slack handoff post shows the customer's failed payment, localized, with payment priority
(a fake Slack Web API on 127.0.0.1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.channels.webchat import sign_user
from tests.fakes.slack_api import FakeSlackAPI
from tests.router.shop_helpers import EVENTS_SECRET, connect, copy_db, new_id, post_event, until_sentinel
from tests.settings_for import settings_for

AGENTS = "C_AGENTS"
LINE = re.compile(r"Betalningen misslyckades: card_declined, \d\d:\d\d, order NH-100234, 1 847 kr")


@pytest.fixture
async def client(fake_slack: FakeSlackAPI, demo_db_file: Path, tmp_path: Path, aiohttp_client: Any) -> Any:
    copy_db(demo_db_file, tmp_path / "kundresa.db")
    settings = settings_for(
        f"sqlite+aiosqlite:///{tmp_path / 'kundresa.db'}",
        proactive={"events_secret": EVENTS_SECRET, "holdout_share": 0.0},
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": "slack-secret",
            "agents_channel": AGENTS,
            "api_base_url": fake_slack.base_url,
        },
    )
    return await aiohttp_client(create_app(settings))


async def test_the_handoff_post_names_the_failed_payment(client: Any, fake_slack: FakeSlackAPI) -> None:
    user = new_id("u")
    data = {"order_id": "NH-100234", "amount": 1847, "currency": "SEK"}
    resp = await post_event(
        client, {"name": "payment_failed", "reason": "card_declined", "user": user, "data": data}
    )
    assert resp.status == 201, await resp.text()
    ws = await connect(client, user=user, sig=sign_user(user, "test-identity-secret"))
    await ws.send_json({"type": "human"})
    assert any(f["type"] == "handoff" for f in await until_sentinel(ws))
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    dump = post.dump()
    assert LINE.search(dump), dump
    assert "*Priority:* 50" in dump
    await ws.close()
