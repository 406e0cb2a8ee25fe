"""bot/channels/webchat/lifecycle.py over `/ws/chat` on the real app: a bad connection query is refused and
closed, and two tabs opening at once share one conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.bot.channels.webchat.chat_helpers import (
    ANSWERABLE,
    TIMEOUT,
    Client,
    ask,
    chat_app,
    connect,
    drain,
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


@pytest.mark.parametrize(
    "query",
    [{}, {"visitor": ""}, {"visitor": "v" * 101}, {"visitor": "ok", "context": "not json"}],
    ids=["no-visitor", "empty-visitor", "long-visitor", "bad-context"],
)
async def test_bad_connection_query_is_refused(app_client: Client, query: dict[str, str]) -> None:
    ws = await app_client.ws_connect("/ws/chat", params=query)
    frame = await recv(ws)
    assert frame["type"] == "error" and frame["code"] in ("invalid_visitor", "invalid_context")
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4400


async def test_two_tabs_opening_at_once_share_one_conversation(
    app_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from router import identity

    real = identity._identity

    async def slow_lookup(*args: Any) -> Any:  # widens the window between lookup and insert
        found = await real(*args)
        await asyncio.sleep(0.3)
        return found

    monkeypatch.setattr(identity, "_identity", slow_lookup)
    visitor = new_visitor()
    tab1, tab2 = await asyncio.gather(connect(app_client, visitor), connect(app_client, visitor))
    await asyncio.gather(drain(tab1), drain(tab2))
    monkeypatch.undo()
    ack, frames = await ask(tab1, ANSWERABLE)
    answer = only(frames, "answer")
    try:
        assert (await tab2.receive_json(timeout=3))["id"] == ack["id"]  # the message, echoed
        assert await tab2.receive_json(timeout=3) == answer
    finally:
        await tab1.close()
        await tab2.close()
