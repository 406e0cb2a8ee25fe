"""bot/channels/webchat/outbound.py over `/ws/chat` on the real app: replies reach every tab of a visitor,
and a reconnecting socket gets exactly what came after its last seq."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.bot.channels.webchat.chat_helpers import (
    ANSWERABLE,
    Client,
    ask,
    chat_app,
    connect,
    drain,
    exchange,
    new_visitor,
    only,
    recv,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One app for the module (overrides conftest's function-scoped `app_client`)."""
    async with chat_app(demo_db_file, tmp_path_factory.mktemp("webchat")) as client:
        yield client


async def test_reconnect_and_resume_replays_exactly_what_came_after(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    ack1, frames1 = await ask(ws, ANSWERABLE, cid="q-1")
    answer1 = only(frames1, "answer")
    ack2, frames2 = await ask(ws, "kan jag betala med faktura", cid="q-2")
    answer2 = only(frames2, "answer")
    await ws.close()

    ws = await connect(app_client, visitor)
    replay = await exchange(ws, {"type": "resume", "after": answer1["seq"]})
    assert [f["seq"] for f in replay] == [ack2["seq"], answer2["seq"]]
    assert replay[0].pop("at")  # when it was stored (the widget's timestamps)
    assert replay[0] == {
        "type": "message",
        "author": "customer",
        "id": "q-2",
        "text": "kan jag betala med faktura",
        "seq": ack2["seq"],
    }
    assert replay[1] == answer2

    everything = await exchange(ws, {"type": "resume", "after": 0})
    assert [f["seq"] for f in everything] == [ack1["seq"], answer1["seq"], ack2["seq"], answer2["seq"]]
    assert len({f["seq"] for f in everything}) == len(everything)
    mine = [f for f in everything if f["type"] == "message"]
    assert [(f["author"], f["id"], f["text"]) for f in mine] == [
        ("customer", "q-1", ANSWERABLE),
        ("customer", "q-2", "kan jag betala med faktura"),
    ]
    assert everything[1] == answer1
    # Errors are never replayed.
    assert all(f["type"] != "error" for f in everything)
    await ws.close()


async def test_two_tabs_of_one_visitor_both_get_the_replies(app_client: Client) -> None:
    visitor = new_visitor()
    tab1 = await connect(app_client, visitor)
    assert await drain(tab1) == []  # identified
    tab2 = await connect(app_client, visitor)
    assert await drain(tab2) == []
    ack, frames = await ask(tab1, ANSWERABLE)
    answer = only(frames, "answer")
    # The other tab gets the customer's message (as resume replays it: the ack and "typing" are for the
    # sender only), then the bot's reply.
    assert await recv(tab2) == {
        "type": "message",
        "author": "customer",
        "id": ack["id"],
        "text": ANSWERABLE,
        "seq": ack["seq"],
    }
    assert await recv(tab2) == answer
    await tab1.close()
    await tab2.close()
