"""Events across the processes of a deployment: PostgreSQL LISTEN/NOTIFY under the `EventBus`.

Several `kundresa serve` processes on one PostgreSQL are one deployment. Each runs a `PgEventBridge`:

- every event published on the process's bus is NOTIFYd on the channel `kundresa_events` as
  `{"o": origin, "n": number, "t": topic, "d": data}` (after the transaction that stored it has committed);
- every process LISTENs on that channel on a connection of its own; for an event from another origin it
  delivers a stored frame (`Router.send`'s `conversation` events) to the sockets this process holds for that
  conversation (web chat), then republishes the event on its own bus (`publish_local`, so agent consoles
  here update and nothing is echoed back).

A NOTIFY payload must stay under 8000 bytes. A bigger event about a message goes out without its `frame` /
`text` (`"load"` names what was left out) and listeners read them from the message row; any other big event
is written to `outbox_events` and only its id is notified. Notifications sent while a listener is
reconnecting are lost to it; consoles get those on their next snapshot. A chat socket never misses them
for long: it sends its conversation's frames strictly in seq order (`bot.channels.webchat.sequencer`), so
the next frame that arrives shows the hole, which is then read from the database (as `resume` reads it).

Order: a process delivers the frames it stores at once, and another process's a few milliseconds later
(NOTIFY, then this bridge); the chat socket puts them back in seq order. That order is sound because seqs
are taken under the conversation's row lock (`router.message_store.take_seq`): once seq N is committed,
every seq below it is too.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp import web
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from config import TooLargeError, UnavailableError
from infra.app_keys import ENGINE
from infra.db import utcnow
from router.models import Message, OutboxEvent
from router.service import Router
from router.web import ROUTER

log = logging.getLogger("kundresa.events.pg")

CHANNEL = "kundresa_events"
MAX_PAYLOAD = 7900  # bytes; PostgreSQL refuses 8000 and more
LOADABLE = ("frame", "text")  # what a listener can read back from the message row
OUTBOX_KEEP = timedelta(hours=1)
PING_SECONDS = 30.0  # the LISTEN connection is checked this often when quiet
START_SECONDS = 10.0
BATCH = 200  # events NOTIFYd in one transaction at most
_CONNECT_PARAMS = set(inspect.signature(asyncpg.connect).parameters)


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def connect_kwargs(engine: AsyncEngine) -> dict[str, Any]:
    """`asyncpg.connect` arguments for the engine's database (SQLAlchemy-only options dropped)."""
    _, params = engine.dialect.create_connect_args(engine.url)
    return {k: v for k, v in params.items() if k in _CONNECT_PARAMS}


async def notify_once(engine: AsyncEngine, topic: str, data: dict[str, Any], channel: str = CHANNEL) -> None:
    """One event to every running process's bus, from a process without a bridge (a CLI command); small
    events only (under NOTIFY's payload limit)."""
    payload = json.dumps({"o": uuid.uuid4().hex, "n": 1, "t": topic, "d": data}, separators=(",", ":"))
    if len(payload.encode("utf-8")) >= MAX_PAYLOAD:
        raise TooLargeError(f"event too large for NOTIFY ({len(payload)} bytes)")
    async with engine.connect() as conn:
        notify = text("SELECT pg_notify(:channel, :payload)")
        await conn.execute(notify, {"channel": channel, "payload": payload})
        await conn.commit()


class PgEventBridge:
    def __init__(
        self,
        engine: AsyncEngine,
        router: Router,
        *,
        socket_channels: tuple[str, ...] = ("web",),
        channel: str = CHANNEL,
    ) -> None:
        self.engine = engine
        self.router = router
        self.socket_channels = socket_channels  # channels whose customers hold a socket in one process
        self.channel = channel
        self.origin = uuid.uuid4().hex  # this process (two apps in one test process stay apart)
        self.received = 0  # events from other processes handled here
        self._numbers = itertools.count(1)
        self._outgoing: asyncio.Queue[tuple[str, str | None, dict[str, Any] | None]] = asyncio.Queue()
        self._incoming: asyncio.Queue[str] = asyncio.Queue()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._detach: Any = None

    # -- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen first (nothing sent after this returns is missed), then start forwarding the bus."""
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen_loop(), name="pg-events-listen"),
            loop.create_task(self._receive_loop(), name="pg-events-receive"),
            loop.create_task(self._send_loop(), name="pg-events-send"),
        ]
        try:
            await asyncio.wait_for(self._listening.wait(), START_SECONDS)
        except TimeoutError:
            await self.close()
            raise UnavailableError(f"could not LISTEN on {self.channel} within {START_SECONDS} s") from None
        self._detach = self.router.bus.bridge(self.forward)

    async def close(self, drain_seconds: float = 2.0) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None
        if self._tasks and not self._tasks[2].done():  # let events already published go out
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outgoing.join(), drain_seconds)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    # -- out -----------------------------------------------------------------------------------------
    async def forward(self, topic: str, data: dict[str, Any]) -> None:
        """Bus bridge: encode the event now, NOTIFY it soon (the publisher never waits for the database)."""
        self._outgoing.put_nowait((topic, *self._encode(topic, data)))

    def _encode(self, topic: str, data: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
        """(payload, None), or (None, data) when only the outbox can carry it."""
        msg: dict[str, Any] = {"o": self.origin, "n": next(self._numbers), "t": topic, "d": data}
        payload = json.dumps(msg, separators=(",", ":"), default=str)
        if len(payload.encode("utf-8")) < MAX_PAYLOAD:
            return payload, None
        if "conversation_id" in data and "seq" in data:
            left_out = [k for k in LOADABLE if k in data]
            msg["d"] = {k: v for k, v in data.items() if k not in LOADABLE}
            msg["load"] = left_out
            payload = json.dumps(msg, separators=(",", ":"), default=str)
            if len(payload.encode("utf-8")) < MAX_PAYLOAD:
                return payload, None
        return None, json.loads(json.dumps(data, default=str))

    async def _send_loop(self) -> None:
        while True:
            batch = [await self._outgoing.get()]
            while not self._outgoing.empty() and len(batch) < BATCH:
                batch.append(self._outgoing.get_nowait())
            try:
                await self._notify(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not NOTIFY %d event(s) to the other processes", len(batch))
            finally:
                for _ in batch:
                    self._outgoing.task_done()

    async def _notify(self, batch: list[tuple[str, str | None, dict[str, Any] | None]]) -> None:
        """One transaction: notifications go out in order when it commits."""
        async with self.engine.connect() as conn:
            for topic, payload, big in batch:
                if big is not None:
                    await conn.execute(
                        delete(OutboxEvent).where(OutboxEvent.created_at < utcnow() - OUTBOX_KEEP)
                    )
                    outbox_id = await conn.scalar(
                        insert(OutboxEvent)
                        .values(topic=topic, data=big, created_at=utcnow())
                        .returning(OutboxEvent.id)
                    )
                    payload = json.dumps(
                        {"o": self.origin, "n": next(self._numbers), "t": topic, "x": outbox_id}
                    )
                await conn.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": self.channel, "payload": payload},
                )
            await conn.commit()

    # -- in ------------------------------------------------------------------------------------------
    async def _listen_loop(self) -> None:
        delay = 0.5
        while True:
            try:
                conn = await asyncpg.connect(**connect_kwargs(self.engine))
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("cannot connect to LISTEN (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            try:
                await conn.add_listener(self.channel, self._on_notify)
                self._listening.set()
                delay = 0.5
                while not lost.is_set():
                    try:
                        await asyncio.wait_for(lost.wait(), PING_SECONDS)
                    except TimeoutError:
                        await conn.execute("SELECT 1", timeout=10)  # a dead link shows up here
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("LISTEN connection failed (%s); reconnecting", exc)
            finally:
                self._listening.clear()
                if not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 5)
                    if not conn.is_closed():
                        conn.terminate()
            log.warning("LISTEN connection lost: events from other processes are missed until it is back")
            await asyncio.sleep(delay)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._incoming.put_nowait(payload)

    async def _receive_loop(self) -> None:
        while True:
            payload = await self._incoming.get()
            try:
                await self.handle(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not handle an event from another process: %.200s", payload)

    async def handle(self, payload: str) -> None:
        msg = json.loads(payload)
        if msg.get("o") == self.origin:
            return
        topic = str(msg["t"])
        if "x" in msg:
            data = await self._outbox(int(msg["x"]))
        else:
            data = dict(msg["d"])
            if msg.get("load"):
                data = await self._load(data, list(msg["load"]))
        if data is None:
            return
        self.received += 1
        frame, channel = data.get("frame"), data.get("channel")
        if (
            topic == "conversation"
            and isinstance(frame, dict)
            and not data.get("internal")
            and channel in self.socket_channels
        ):
            await self.router.deliver(int(data["conversation_id"]), channel, {}, frame)
        await self.router.bus.publish_local(topic, data)

    async def _load(self, data: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
        async with self.router.sessions() as session:
            msg = await session.scalar(
                select(Message).where(
                    Message.conversation_id == int(data["conversation_id"]), Message.seq == int(data["seq"])
                )
            )
        if msg is None:
            log.warning("event for a message not in the database: %s", data)
            return None
        if "frame" in keys:
            data["frame"] = dict(msg.payload)
        if "text" in keys:
            data["text"] = msg.text
        return data

    async def _outbox(self, outbox_id: int) -> dict[str, Any] | None:
        async with self.router.sessions() as session:
            row = await session.get(OutboxEvent, outbox_id)
        if row is None:
            log.warning("outbox event %s is gone", outbox_id)
            return None
        return dict(row.data)


PG_EVENTS = web.AppKey("pg_events", PgEventBridge)


async def pg_events_ctx(app: web.Application) -> AsyncIterator[None]:
    """aiohttp `cleanup_ctx` (after the router's): the bridge runs while the app does."""
    bridge = PgEventBridge(app[ENGINE], app[ROUTER])
    await bridge.start()
    app[PG_EVENTS] = bridge
    yield
    await bridge.close()
