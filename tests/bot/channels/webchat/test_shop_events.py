"""bot/channels/webchat/shop_events.py: the chat `event` frame (`window.Kundresa.track`) on the real app: bad
frames get error frames; an event without a rule stores the customer but starts no conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from infra.app_keys import SESSIONS
from tests.router.shop_helpers import (
    Client,
    agent_headers,
    connect,
    new_id,
    shop_app,
    timeline,
    until_sentinel,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One app for the module (overrides conftest's function-scoped `app_client`)."""
    async with shop_app(demo_db_file, tmp_path_factory.mktemp("shop")) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app_client: Client) -> dict[str, str]:
    return await agent_headers(app_client)


async def test_bad_event_frames_get_error_frames(app_client: Client) -> None:
    ws = await connect(app_client)
    await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "bad reason"}})
    await ws.send_json({"type": "event", "name": "x" * 80})
    await ws.send_json({"type": "event", "name": "big", "data": {"b": "x" * 3000}})
    await ws.send_json({"type": "offer_opened", "offer": 1})  # no conversation, so no offer of its
    codes = [f["code"] for f in await until_sentinel(ws) if f["type"] == "error"]
    assert codes == ["invalid_reason", "invalid_event", "too_large", "unknown_offer"]
    await ws.close()


async def test_a_chat_event_without_a_rule_writes_the_customer_but_no_conversation(
    app_client: Client, agent: dict[str, str]
) -> None:
    from router.models import ChannelIdentity, Conversation

    visitor = new_id()
    ws = await connect(app_client, visitor, context='{"step":"payment","order_id":"NH-7"}')
    await ws.send_json({"type": "event", "name": "checkout_idle", "data": {"seconds": 45}})
    assert [f for f in await until_sentinel(ws) if f["type"] != "typing"] == []
    async with app_client.app[SESSIONS]() as session:
        customer_id = await session.scalar(
            select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id == visitor)
        )
        assert customer_id is not None
        convs = await session.scalar(select(Conversation.id).where(Conversation.customer_id == customer_id))
        assert convs is None
    [item] = await timeline(app_client, customer_id, agent)
    assert item["context"] == {"step": "payment", "order_id": "NH-7"}
    assert item["text"].startswith("Står still i kassan, ") and item["text"].endswith(
        "order NH-7, 45 s utan framsteg"
    )
    # Their first message later starts the conversation as usual; the event stays on the timeline.
    await ws.send_json({"type": "message", "id": "m1", "text": "hej"})
    assert any(f["type"] == "ack" for f in await until_sentinel(ws))
    kinds = [i["kind"] for i in await timeline(app_client, customer_id, agent)]
    assert kinds[:2] == ["event", "message"]
    await ws.close()
