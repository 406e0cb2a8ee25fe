"""router/service.py's `Router`: one customer and conversation per identity, a customer message stored
masked with the next seq before anything acknowledges it, a resent client id answered as before, and the
bus told once per stored message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from router.channel import ChannelRegistry
from router.events import EventBus
from router.identity import Evidence
from router.service import Router


async def test_receive_stores_masked_with_the_next_seq_and_a_resend_once(
    sessions: async_sessionmaker[AsyncSession], make_settings: Callable[..., Settings]
) -> None:
    bus = EventBus()
    heard: list[dict[str, Any]] = []

    async def listen(topic: str, event: dict[str, Any]) -> None:
        heard.append(event)

    bus.subscribe("conversation", listen)
    router = Router(sessions, make_settings(), ChannelRegistry(), bus)
    visitor = [Evidence("web_visitor", "v-service-1", verified=False)]
    customer, conv = await router.identify(visitor)
    assert await router.identify(visitor) == (customer, conv)  # the same person, the same conversation

    first = await router.receive(
        conv, channel="web", address={}, text="hej, mitt kort 4111 1111 1111 1111", client_id="c1"
    )
    assert not first.duplicate and first.owner == "bot" and first.channel == "web"
    assert "4111 1111 1111 1111" not in first.text and first.mask.masked
    second = await router.receive(conv, channel="web", address={}, text="en fråga till", client_id="c2")
    assert second.seq == first.seq + 1
    again = await router.receive(
        conv, channel="web", address={}, text="hej, mitt kort 4111 1111 1111 1111", client_id="c1"
    )
    assert again.duplicate and (again.seq, again.text) == (first.seq, first.text)

    stored = await router.recent_messages(conv)
    assert [(m.seq, m.client_id) for m in stored] == [(first.seq, "c1"), (second.seq, "c2")]
    assert [e["seq"] for e in heard] == [first.seq, second.seq]  # the resend is not published again
    assert (await router.conversation(conv)).last_channel == "web"  # type: ignore[union-attr]
