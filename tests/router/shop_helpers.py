"""Helpers for the shop-event tests: a module-scoped real app on a copy of the demo database, signed
requests, chat sockets read up to a sentinel."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import create_app
from config import Settings
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.shop_events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_event
from tests.settings_for import settings_for

EVENTS_SECRET = "test-events-secret"
TIMEOUT = 20
SENTINEL = "sentinel-end-of-batch"
Client = TestClient[Any, Any]
WS = aiohttp.ClientWebSocketResponse


@contextlib.asynccontextmanager
async def shop_app(demo_db: Path, folder: Path) -> AsyncIterator[Client]:
    """The real app (proactive offers without a quiet period) on a copy of the session's demo database: one
    per test module (starting one costs seconds); every test uses its own customers."""
    db = folder / "kundresa.db"
    copy_db(demo_db, db)
    async with TestClient(TestServer(create_app(shop_settings(db, quiet_minutes=0)))) as client:
        yield client


async def agent_headers(client: Client) -> dict[str, str]:
    async with client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "agnes", "agent")
    return {"Authorization": f"Bearer {token}"}


def copy_db(src: Path, dst: Path) -> None:
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(dst)) as b:
        a.backup(b)


def shop_settings(db: Path, **proactive: Any) -> Settings:
    return settings_for(
        f"sqlite+aiosqlite:///{db}",
        proactive={"events_secret": EVENTS_SECRET, "holdout_share": 0.0, **proactive},
    )


def signed(
    body: dict[str, Any], *, at: float | None = None, secret: str = EVENTS_SECRET
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = str(int(time.time() if at is None else at))
    return raw, {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign_event(secret, stamp, raw),
        "Content-Type": "application/json",
    }


async def post_event(client: Client, body: dict[str, Any], **kw: Any) -> aiohttp.ClientResponse:
    raw, headers = signed(body, **kw)
    return await client.post("/api/events", data=raw, headers=headers)


def new_id(prefix: str = "v") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def connect(client: Client, visitor: str | None = None, **params: str) -> WS:
    return await client.ws_connect("/ws/chat", params={"visitor": visitor or new_id(), **params})


async def until_sentinel(ws: WS) -> list[dict[str, Any]]:
    """Every frame up to the error answering a sentinel frame: all earlier frames are handled by then."""
    await ws.send_json({"type": SENTINEL})
    frames = []
    while True:
        frame = await ws.receive_json(timeout=TIMEOUT)
        if frame.get("type") == "error" and frame.get("code") == "unknown_type":
            return frames
        frames.append(frame)


async def start_app(aiohttp_client: Any, settings: Settings) -> Any:
    settings.proactive.events_secret = SecretStr(EVENTS_SECRET)
    settings.proactive.holdout_share = 0.0
    return await aiohttp_client(create_app(settings))


DECLINED = {"name": "payment_failed", "reason": "card_declined"}


ORDER = {"order_id": "NH-100234", "amount": 1847, "currency": "SEK"}


async def timeline(client: Client, customer_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/customers/{customer_id}/timeline", headers=headers)
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["messages"])
