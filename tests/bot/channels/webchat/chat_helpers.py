"""Helpers of the web chat tests over `/ws/chat`: one real app per module on a copy of the session's demo
database (`chat_app`), sockets, and frames collected up to a *sentinel*: an unknown frame type whose error
reply proves every frame sent before it has been fully handled (one socket is handled in order)."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Conversation, Message, Ticket
from tests.settings_for import settings_for

SECRET = "test-identity-secret"


TIMEOUT = 20  # seconds for one frame; the first answer can be slow on a loaded 2-core machine


SENTINEL = "sentinel-end-of-batch"


CONTEXT = {"step": "payment", "order_id": "NH-100234", "amount": 1847, "currency": "SEK"}


ANSWERABLE = "hur lång är leveranstiden?"  # the demo KB answers: leveranstid-sparning


ANSWERABLE_SLUG = "leveranstid-sparning"


AMBIGUOUS = "betala senare"  # the demo KB offers options (invoice, part payment, ...)


UNANSWERABLE = "kvarkstjärnor och fotosyntes"  # nothing in the demo KB


Client = TestClient[Any, Any]


WS = aiohttp.ClientWebSocketResponse


@contextlib.asynccontextmanager
async def chat_app(demo_db: Path, folder: Path, **chat: Any) -> AsyncIterator[Client]:
    """The real app with the demo knowledge base on a copy of `demo_db` in `folder` (`chat`: chat settings
    to change). Starting one costs seconds, so a module shares one; every test uses its own visitor id,
    hence its own conversation."""
    db = folder / "kundresa.db"
    with contextlib.closing(sqlite3.connect(demo_db)) as src, contextlib.closing(sqlite3.connect(db)) as dst:
        src.backup(dst)
    settings = settings_for(f"sqlite+aiosqlite:///{db}", chat={"identity_secret": SECRET, **chat})
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def new_visitor() -> str:
    return f"v-{uuid.uuid4().hex[:16]}"


async def connect(client: Client, visitor: str | None = None, **params: str) -> WS:
    query = {"visitor": visitor or new_visitor(), **params}
    return await client.ws_connect("/ws/chat", params=query)


async def recv(ws: WS) -> dict[str, Any]:
    frame = await ws.receive_json(timeout=TIMEOUT)
    assert isinstance(frame, dict), frame
    assert isinstance(frame.get("seq"), int) and not isinstance(frame["seq"], bool), frame
    return frame


async def drain(ws: WS, *, typing: bool = False) -> list[dict[str, Any]]:
    """Every frame the server sends until it has handled everything sent so far.

    `typing` frames (ephemeral, not stored, carrying the latest seq) are left out unless asked for.
    """
    await ws.send_json({"type": SENTINEL})
    frames: list[dict[str, Any]] = []
    while True:
        frame = await recv(ws)
        if frame["type"] == "error" and frame["code"] == "unknown_type" and SENTINEL in frame["message"]:
            return frames
        if typing or frame["type"] != "typing":
            frames.append(frame)


async def exchange(ws: WS, *frames: dict[str, Any], typing: bool = False) -> list[dict[str, Any]]:
    for frame in frames:
        await ws.send_json(frame)
    return await drain(ws, typing=typing)


async def ask(ws: WS, text: str, cid: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send one message; (its ack, the frames that followed)."""
    cid = cid or f"c-{uuid.uuid4().hex[:12]}"
    frames = await exchange(ws, {"type": "message", "id": cid, "text": text})
    assert frames, "no ack"
    ack, rest = frames[0], frames[1:]
    assert ack["type"] == "ack" and ack["id"] == cid, frames
    return ack, rest


def only(frames: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    matching = [f for f in frames if f["type"] == kind]
    assert len(matching) == 1, frames
    return matching[0]


async def conversation_of(client: Client, visitor: str) -> Conversation:
    """The conversation a visitor's socket is bound to (its customer's newest)."""
    async with client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_visitor", ChannelIdentity.external_id == visitor
            )
        )
        assert ident is not None, visitor
        conv = await session.scalar(
            select(Conversation)
            .where(Conversation.customer_id == ident.customer_id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        assert conv is not None
        return conv


async def messages(client: Client, conversation_id: int) -> list[Message]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return list(rows)


async def tickets(client: Client, conversation_id: int) -> list[Ticket]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
        )
        return list(rows)


async def assert_usable(ws: WS) -> None:
    """A valid question on this socket is still acked and answered."""
    _, frames = await ask(ws, ANSWERABLE)
    assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG


BIG = "€" * 1366  # 4098 bytes in UTF-8 but only 1366 characters: the limit is on bytes


async def _send_raw(ws: WS, raw: Any) -> None:
    if isinstance(raw, bytes):
        await ws.send_bytes(raw)
    elif isinstance(raw, str):
        await ws.send_str(raw)
    else:
        await ws.send_json(raw)


BAD_FRAMES: list[tuple[str, Any, str]] = [
    ("not-json", "hej, kan jag betala med swish?", "invalid_json"),
    ("truncated-json", '{"type": "message", "id": "a", "text": "hej"', "invalid_json"),
    ("json-array", '[{"type": "message", "id": "a", "text": "hej"}]', "invalid_json"),
    ("json-string", '"hej"', "invalid_json"),
    ("json-null", "null", "invalid_json"),
    ("binary", b'{"type": "message", "id": "a", "text": "hej"}', "binary_not_supported"),
    ("unknown-type", {"type": "shout", "text": "hej"}, "unknown_type"),
    ("no-type", {"id": "a", "text": "hej"}, "unknown_type"),
    ("type-not-a-string", {"type": ["message"], "id": "a", "text": "hej"}, "unknown_type"),
    ("message-without-id", {"type": "message", "text": "hej"}, "invalid_message"),
    ("message-empty-id", {"type": "message", "id": "", "text": "hej"}, "invalid_message"),
    ("message-numeric-id", {"type": "message", "id": 7, "text": "hej"}, "invalid_message"),
    ("message-long-id", {"type": "message", "id": "x" * 101, "text": "hej"}, "invalid_message"),
    ("message-empty-text", {"type": "message", "id": "a", "text": ""}, "invalid_message"),
    ("message-blank-text", {"type": "message", "id": "a", "text": " \n\t "}, "invalid_message"),
    ("message-text-not-string", {"type": "message", "id": "a", "text": {"q": "hej"}}, "invalid_message"),
    ("message-too-large", {"type": "message", "id": "a", "text": BIG}, "too_large"),
    ("frame-far-too-large", "x" * 20000, "too_large"),
    ("resume-negative", {"type": "resume", "after": -1}, "invalid_resume"),
    ("resume-string", {"type": "resume", "after": "x"}, "invalid_resume"),
    ("resume-float", {"type": "resume", "after": 1.5}, "invalid_resume"),
    ("resume-missing", {"type": "resume"}, "invalid_resume"),
    ("resume-beyond-latest", "BEYOND", "invalid_resume"),
    ("csat-zero", {"type": "csat", "score": 0}, "invalid_csat"),
    ("csat-six", {"type": "csat", "score": 6}, "invalid_csat"),
    ("csat-string", {"type": "csat", "score": "5"}, "invalid_csat"),
    ("csat-bool", {"type": "csat", "score": True}, "invalid_csat"),
    ("csat-float", {"type": "csat", "score": 4.5}, "invalid_csat"),
    ("choose-without-article", {"type": "choose"}, "invalid_message"),
    ("choose-unknown-article", {"type": "choose", "article": "finns-inte"}, "unknown_article"),
    ("feedback-without-helpful", {"type": "feedback", "helpful": "nej"}, "invalid_message"),
]
