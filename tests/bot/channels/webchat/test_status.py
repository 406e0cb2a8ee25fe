"""bot/channels/webchat/status.py: the `status` frame from the real app's router (the widget's side of it:
tests/bot/test_widget_handoff_browser.py)."""

from __future__ import annotations

from typing import Any

from bot.channels.webchat.status import status_frame
from infra.app_keys import SESSIONS
from infra.db import utcnow
from router.identity import Evidence
from router.models import Conversation
from router.web import ROUTER


async def test_a_visitor_without_a_conversation_gets_the_defaults(app_client: Any) -> None:
    router = app_client.app[ROUTER]
    frame = await status_frame(router, router.settings, None)
    assert frame == {
        "type": "status",
        "owner": "bot",
        "queue": None,
        "customer": None,
        "reply_email": None,
        "email_replies": False,
        "max_message_bytes": router.settings.chat.max_message_bytes,
    }


async def test_name_masked_email_and_a_returning_customer_is_no_longer_away(app_client: Any) -> None:
    router = app_client.app[ROUTER]
    _, conv_id = await router.identify([Evidence("web_visitor", "status-1", False)], name="Kim Kund")
    async with app_client.app[SESSIONS]() as session, session.begin():
        conv = await session.get(Conversation, conv_id)
        assert conv is not None
        conv.reply_email, conv.away_since = "kim.kund@example.com", utcnow()
    frame = await status_frame(router, router.settings, conv_id)
    assert (frame["owner"], frame["queue"]) == ("bot", None)
    assert frame["customer"] == {"name": "Kim Kund"}
    assert frame["reply_email"] == "ki***@example.com"
    async with app_client.app[SESSIONS]() as session:
        conv = await session.get(Conversation, conv_id)
        assert conv is not None and conv.away_since is None  # replies are no longer emailed meanwhile
    assert (await status_frame(router, router.settings, 987654))["owner"] == "bot"  # no such conversation
