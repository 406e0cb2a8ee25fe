"""One simulated web chat customer on a real WebSocket, and what each of its questions got back."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from loadgen.data import SEED

REPLY_TIMEOUT_S = 30.0
REPLY_TYPES = frozenset({"answer", "clarify", "handoff", "notice"})


@dataclass
class Reply:
    due: float  # when the question was due (phase 2) or sent (phase 1), perf_counter seconds
    sent: float
    acked: float | None
    replied: float
    kind: str  # answer / clarify / handoff / notice / error:CODE / timeout / closed


class Customer:
    """One customer: a socket at a time, a fresh visitor after a handoff, an error or `per_visitor`."""

    def __init__(
        self,
        http: Any,
        base: str,
        name: str,
        questions: list[str],
        per_visitor: int,
        quiet_notices: frozenset[str],
    ) -> None:
        self.http, self.base, self.name = http, base, name
        self.questions = questions or ["How do I pay?"]
        self.per_visitor = per_visitor
        # The first visitor asks a random share (fixed seed): otherwise every customer, started together,
        # would reconnect at the same moment and the burst of new visitors would stall everyone's acks.
        self.first_visitor = random.Random(f"{SEED}:{name}").randint(1, per_visitor)
        self.quiet_notices = quiet_notices
        self.ws: Any = None
        self.visitors = 0
        self.asked_here = 0
        self.asked = 0

    async def connect(self) -> None:
        await self.close()
        self.visitors += 1
        self.asked_here = 0
        url = f"{self.base}/ws/chat?visitor={self.name}-{self.visitors}"
        self.ws = await self.http.ws_connect(url, autoping=True, max_msg_size=0)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        self.ws = None

    def next_question(self) -> str:
        text = self.questions[self.asked % len(self.questions)]
        self.asked += 1
        return text

    async def ask(self, due: float | None = None) -> Reply:
        """Send the next question and wait for its reply; rotates the visitor when the bot goes quiet."""
        from aiohttp import WSMsgType

        limit = self.first_visitor if self.visitors <= 1 else self.per_visitor
        if self.ws is None or self.ws.closed or self.asked_here >= limit:
            await self.connect()
        ws, client_id = self.ws, f"q{self.asked_here}"
        text = self.next_question()
        self.asked_here += 1
        sent = time.perf_counter()
        acked: float | None = None
        kind = "timeout"
        try:
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                await ws.send_json({"type": "message", "id": client_id, "text": text})
                while True:
                    msg = await ws.receive()
                    if msg.type != WSMsgType.TEXT:
                        kind = "closed"
                        break
                    frame = json.loads(msg.data)
                    ftype = frame.get("type")
                    if ftype == "ack" and frame.get("id") == client_id:
                        acked = time.perf_counter()
                    elif ftype == "error":
                        kind = f"error:{frame.get('code')}"
                        break
                    elif acked is not None and ftype in REPLY_TYPES:
                        if ftype == "notice" and frame.get("text") in self.quiet_notices:
                            continue  # the card-number warning comes before the real reply
                        kind = ftype
                        break
        except TimeoutError:
            kind = "timeout"
        replied = time.perf_counter()
        if kind not in ("answer", "clarify", "notice"):
            await self.close()  # handoff: an agent owns the conversation now; errors: start clean
        return Reply(sent if due is None else due, sent, acked, replied, kind)
