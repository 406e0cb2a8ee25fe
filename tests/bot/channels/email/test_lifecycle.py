"""bot/channels/email/lifecycle.py: with `[email]` configured the started app has the email channel and
the replies' poller; without, neither."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.app import create_app
from bot.channels.email import EMAIL_REPLIES
from bot.channels.email.outbound import EmailChannel
from config import Settings
from router.web import CHANNELS


async def test_the_channel_and_the_poller_only_when_configured(
    aiohttp_client: Any, demo_db_settings: Settings, make_settings: Callable[..., Settings]
) -> None:
    plain = await aiohttp_client(create_app(demo_db_settings))
    assert plain.app[CHANNELS].get("email") is None and EMAIL_REPLIES not in plain.app
    await plain.close()

    email = make_settings(email={"host": "127.0.0.1", "port": 2525, "starttls": False, "poll_seconds": 0.1})
    client = await aiohttp_client(create_app(email))
    assert isinstance(client.app[CHANNELS].get("email"), EmailChannel)
    assert EMAIL_REPLIES in client.app
    await client.close()
