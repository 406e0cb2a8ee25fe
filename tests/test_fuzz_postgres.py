"""The key hostile inputs on PostgreSQL too, where NUL cannot be stored in text and ids are 32-bit: every
one gets the same 4xx as on SQLite and stores nothing; a message that reaches the store with NUL (from
Slack, which we take as it comes) is stored without it, the same on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings, load_settings
from infra.app_keys import SESSIONS
from router.identity import Evidence
from router.models import Message
from router.web import ROUTER
from tests.live_app import LiveApp

HOSTILE_FRAMES = [
    ('{"type":"message","id":"a","text":"hej \\u0000 då"}', "invalid_text"),
    ('{"type":"message","id":"a\\u0000","text":"hej"}', "invalid_text"),
    ('{"type":"message","id":"a","text":"\\udc00"}', "invalid_text"),
    ('{"type":"resume","after":' + str(2**63) + "}", "invalid_resume"),
    ('{"type":"csat","score":' + "9" * 4400 + "}", "number_too_large"),
    ("[" * 10_000, "too_deep"),
]


def check_everything(live: LiveApp) -> None:
    admin = live.token("pg-admin", "admin")
    headers = {"Authorization": f"Bearer {admin}"}
    before = live.rows()

    async def chat() -> list[str]:
        ws = await live.client.ws_connect("/ws/chat", params={"visitor": "nul-visitor"})
        codes = []
        for raw, _ in HOSTILE_FRAMES:
            await ws.send_str(raw)
            frame = await ws.receive_json(timeout=30)
            codes.append(frame["code"])
        await ws.close()
        return codes

    assert live.run(chat()) == [code for _, code in HOSTILE_FRAMES]

    async def http(method: str, path: str, body: bytes | None = None) -> tuple[int, str]:
        resp = await live.client.request(method, path, data=body, headers=headers)
        return resp.status, (await resp.json())["error"]["code"]

    for method, path, body, expected in [
        ("POST", "/api/users", b'{"name": "x\\u0000y"}', (400, "invalid_text")),
        (
            "POST",
            "/api/articles",
            b'{"slug": "nul", "title": "t\\u0000", "body": "b"}',
            (400, "invalid_text"),
        ),
        ("POST", "/api/tickets/1/messages", b'{"text": "\\u0000"}', (400, "invalid_text")),
        ("GET", "/api/search?q=swish%00", None, (400, "invalid_text")),
        ("GET", "/api/articles/a%00b", None, (400, "invalid_text")),
        ("GET", f"/api/tickets/{2**31}", None, (404, "not_found")),
        ("GET", f"/api/customers/{2**63}/timeline", None, (404, "not_found")),
        ("POST", "/api/gaps/handled", b'{"ids": [' + str(2**40).encode() + b"]}", (400, "invalid_request")),
    ]:
        assert live.run(http(method, path, body)) == expected, (method, path)
    assert live.rows() == before

    async def store_with_nul() -> str:
        router = live.client.app[ROUTER]
        _, conv_id = await router.identify([Evidence("web_visitor", "slack-like", False)])
        await router.receive(conv_id, channel="web", address={}, text="före\x00efter")
        async with live.client.app[SESSIONS]() as session:
            stored = await session.scalar(select(Message.text).where(Message.conversation_id == conv_id))
        return str(stored)

    assert live.run(store_with_nul()) == "föreefter"


@pytest.fixture
def sqlite_live(make_settings: Callable[..., Settings], settings: Settings) -> Iterator[LiveApp]:
    app = LiveApp(make_settings())
    yield app
    app.close()


def test_hostile_input_on_sqlite(sqlite_live: LiveApp) -> None:
    check_everything(sqlite_live)


@pytest.mark.postgres
def test_hostile_input_on_postgresql(pg_kb_db_url: Any) -> None:
    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": str(pg_kb_db_url)},
        demo=False,
        chat={"identity_secret": "test-identity-secret"},
    )
    live = LiveApp(settings)
    try:
        check_everything(live)
    finally:
        live.close()
