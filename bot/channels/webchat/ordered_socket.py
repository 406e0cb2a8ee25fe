"""One chat socket's way out: stored frames strictly in `seq` order, gaps filled from the database.

Every frame for the socket goes through `OrderedSocket`: stored frames by `offer` (the `Sequencer` puts
them in order), its own acks by `ack`, `typing` and `error` by `ephemeral`, `resume` by `replay`. Frames
leave through one queue with at most one writer at a time, so two callers can never interleave their sends
(an `await ws.send_json` may yield under back-pressure).

A frame that arrives ahead of a missing one waits `GAP_WAIT` seconds for it (another process's NOTIFY is
usually a few milliseconds behind); after that the hole is read from the database, as `resume` would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.channels.webchat.sequencer import Frame, Sequencer

log = logging.getLogger("kundresa.webchat")

GAP_WAIT = 0.2  # seconds a frame waits for a missing earlier one before the database fills the hole
# Stored frames of a conversation with seq in (after, upto], for this socket: [(seq, frame)], oldest first.
RowsReader = Callable[[int, int, int], Awaitable[list[tuple[int, Frame]]]]


class OrderedSocket:
    __slots__ = (
        "_fill_task", "_out", "_reader", "_timer", "_writing", "conversation_id", "inflight", "seq", "ws",
    )  # fmt: skip

    def __init__(self, ws: web.WebSocketResponse, reader: RowsReader) -> None:
        self.ws = ws
        self.conversation_id: int | None = None  # None until the socket knows its conversation
        self.seq = Sequencer(0)
        self.inflight: str | None = None  # the client id of this socket's message being stored now
        self._reader = reader
        self._out: deque[Frame] | None = None
        self._writing = False
        self._timer: asyncio.TimerHandle | None = None
        self._fill_task: asyncio.Task[None] | None = None

    async def bind(self, conversation_id: int, head: int) -> None:
        """From now on this socket gets the conversation's frames after `head` (its latest seq then)."""
        if conversation_id == self.conversation_id:
            await self._send(self.seq.restart(head))
            return
        self.conversation_id = conversation_id
        self.seq = Sequencer(head)
        self._cancel_timer()

    @property
    def closed(self) -> bool:
        return self.ws.closed

    # -- frames in -------------------------------------------------------------------------------------
    async def offer(self, seq: int, frame: Frame | None) -> None:
        """A stored frame of this socket's conversation (None: seq `seq` holds nothing for this socket)."""
        await self._send(self.seq.offer(seq, frame))

    async def hold(self, seq: int, echo: Frame) -> None:
        await self._send(self.seq.hold(seq, echo))

    async def release(self) -> None:
        await self._send(self.seq.release())

    async def ack(self, frame: Frame) -> None:
        """The ack of a message this socket sent: in order at its seq; a resent message's ack (its seq
        settled long ago) goes out at once, as it was."""
        seq = int(frame["seq"])
        if seq <= self.seq.cursor:
            await self._send([frame])
        else:
            await self.offer(seq, frame)

    async def ephemeral(self, frame: Frame) -> None:
        await self._send(self.seq.ephemeral(frame))

    async def replay(self, after: int, rows: list[tuple[int, Frame]], complete: bool) -> None:
        await self._send(self.seq.replay(after, rows, complete))

    # -- frames out ------------------------------------------------------------------------------------
    async def _send(self, frames: list[Frame]) -> None:
        if frames:
            if self._out is None:
                self._out = deque()
            self._out.extend(frames)
            if not self._writing:  # else the writer already running sends these too, in order
                self._writing = True
                try:
                    while self._out:
                        await self.ws.send_json(self._out.popleft())
                except (ConnectionError, RuntimeError):
                    self._out.clear()  # the socket is gone; the client gets these on `resume`
                finally:
                    self._writing = False
                    if not self._out:
                        self._out = None
        self._watch_gap()

    # -- gaps ------------------------------------------------------------------------------------------
    def _watch_gap(self) -> None:
        if self.seq.gap() is None or self.ws.closed:
            self._cancel_timer()
        elif self._timer is None and self._fill_task is None:
            self._timer = asyncio.get_running_loop().call_later(GAP_WAIT, self._gap_due)

    def _gap_due(self) -> None:
        self._timer = None
        if self.seq.gap() is not None and self._fill_task is None and not self.ws.closed:
            self._fill_task = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        try:
            upto, conv = self.seq.gap(), self.conversation_id
            if upto is None or conv is None:
                return
            rows = await self._reader(conv, self.seq.cursor, upto)
            if conv == self.conversation_id:  # not re-bound meanwhile
                await self._send(self.seq.fill(rows, upto))
        except Exception:  # the frames stay waiting; the next one (or a resume) tries again
            log.exception("could not fill a gap on conversation %s", self.conversation_id)
        finally:
            self._fill_task = None
        self._watch_gap()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def close(self) -> None:
        """The socket has ended: stop waiting for gaps."""
        self._cancel_timer()
        task, self._fill_task = self._fill_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
