"""`router.outgoing`: an outgoing frame stored with its seq, and what delivering it needs afterwards."""

from __future__ import annotations

from typing import Any

from infra.app_keys import SESSIONS
from router.identity import Evidence
from router.message_store import message_write
from router.outgoing import store_outgoing
from router.web import ROUTER


async def test_a_stored_frame_carries_its_seq_and_the_customers_channel(app_client: Any) -> None:
    app = app_client.server.app
    router = app[ROUTER]
    _, conv_id = await router.identify([Evidence("web_visitor", "outgoing-1", False)])
    await router.receive(conv_id, channel="slack", address={"channel": "D1"}, text="Hej")
    async with router.lock(conv_id), message_write(app[SESSIONS]) as write:
        out = await store_outgoing(write, conv_id, {"type": "notice", "text": "Välkommen"})
    assert (out.frame["seq"], out.frame["text"], out.channel, out.address) == (
        2,
        "Välkommen",
        "slack",
        {"channel": "D1"},
    )
    assert (out.author_kind, out.internal) == ("bot", False)
    history = await router.history(conv_id, 0)
    assert [f["seq"] for f in history] == [1, 2]
