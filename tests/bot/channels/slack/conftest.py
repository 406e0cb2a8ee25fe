"""The real app with Slack configured against a fake Slack Web API on 127.0.0.1, on a copy of the session's
prepared demo database (tests/conftest.py `demo_db_settings`: nothing is imported or embedded per file)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.app import create_app
from config import Settings
from tests.bot.channels.slack.slack_app import AGENT, AGENTS
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import CUSTOMER, SECRET


@pytest.fixture
def fake_slack(fake_slack: FakeSlackAPI) -> FakeSlackAPI:
    """The root conftest's fake Slack, with these tests' users."""
    fake_slack.add_user(CUSTOMER, email="kim@example.com", name="Kim Kund")
    fake_slack.add_user(AGENT, email="sven@shop.example", name="Sven Agent")
    return fake_slack


@pytest.fixture
def slack_settings(
    make_settings: Callable[..., Settings], fake_slack: FakeSlackAPI, demo_db_settings: Settings
) -> Settings:
    # demo_db_settings has copied the demo database into tmp_path, where make_settings points
    return make_settings(
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SECRET,
            "agents_channel": AGENTS,
            "api_base_url": fake_slack.base_url,
        }
    )


@pytest.fixture
async def client(fake_slack: FakeSlackAPI, slack_settings: Settings, aiohttp_client: Any) -> Any:
    # aiohttp_client last: the app closes (finishing its Slack work) before the fake Slack does
    return await aiohttp_client(create_app(slack_settings))
