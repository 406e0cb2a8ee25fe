"""`kill -9` of a real `kundresa serve` mid-conversation, then a restart; then SIGTERM of the new one.

Twelve customers talk on their own sockets (a message every ~0.2 s, not waiting for answers) to a real
server on PostgreSQL; the server is killed with SIGKILL while answers are in flight. Then: its model worker
and multiprocessing's resource tracker must be gone within seconds; a new server on the same database
starts; the customers reconnect and resend what was never acknowledged, as the widget does. In the end
every acknowledged message is stored, every one is answered or handed off, and no message got two
replies. Last, SIGTERM of the new server while a customer waits for an answer: the answer arrives, the
socket is closed with 1012, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from router.models import ChannelIdentity, Conversation, Message
from tests.servers import ServeProcess, group_pids

pytestmark = pytest.mark.postgres

CUSTOMERS = 12
TALK_SECONDS = 3.0
TURN_REPLIES = ("answer", "clarify", "handoff", "notice")  # one of these answers a customer message
# Questions the demo knowledge base answers outright (calibrated confidence > 0.9, no signal such as "a
# person please"): conversations stay the bot's (after a handoff the bot is quiet), so answers are in flight
# when the server is killed.
QUESTIONS = [
    "ändra leverans adress",
    "pengar tillbaka efter retur, hur länge",
    "avbryta order hur",
    "det står behandlas på ordern, kan jag fortfarande avbryta",
    "how do i cancel, i placed the order like an hour ago",
    "The status says shipped, can I still cancel?",
    "Which is cheaper, paying in my own currency or in SEK?",
    "betalsidan funkar inte",
    "kassan vill inte öppna betalrutan, står bara och laddar",
    "delbetalning?",
    "gör ni kreditupplysning om jag väljer delbetalning",
    "Can I spread the payments over 3 months with no interest?",
    "Is there a minimum order amount for paying in instalments?",
    "min payment gick igenom två gånger?",
    "faktura som betalsätt?",
    "e det 14 eller 30 dagar på fakturan",
    "Does choosing invoice cost anything extra?",
    "How long do I have to pay the Nordpay invoice?",
    "kan man handla på firman",
    "kan företag returnera varor",
    "fri frakt gräns?",
    "vad kostar hemleverans",
    "Shipping cost for a rug?",
]


@dataclass
class Customer:
    visitor: str
    sent: dict[str, str] = field(default_factory=dict)  # client id -> text
    acked: dict[str, int] = field(default_factory=dict)  # client id -> seq
    frames: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    resend_acked: bool = False  # resend the last acknowledged message too after the restart
    acks: asyncio.Event = field(default_factory=asyncio.Event)  # set on each ack

    def unacked(self) -> list[str]:
        return [cid for cid in self.sent if cid not in self.acked]

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            if frame["type"] == "ack":
                self.acked[frame["id"]] = frame["seq"]
                self.acks.set()
            else:
                self.frames.append(frame)
        self.close_code = ws.close_code

    async def talk(self, http: aiohttp.ClientSession, url: str, until: float, rng: random.Random) -> None:
        """Send messages until `until` (monotonic) or the server goes away."""
        ws = await http.ws_connect(url, params={"visitor": self.visitor}, heartbeat=None)
        reader = asyncio.create_task(self.read(ws))
        try:
            while time.monotonic() < until and not ws.closed:
                cid = f"{self.visitor}-{len(self.sent)}"
                text = rng.choice(QUESTIONS)
                self.sent[cid] = text  # before sending: a send that fails may still have left
                await ws.send_json({"type": "message", "id": cid, "text": text})
                await asyncio.sleep(rng.uniform(0.1, 0.3))
        except (ConnectionError, RuntimeError):
            pass  # the server died under us
        await reader

    async def reconnect_and_resend(self, http: aiohttp.ClientSession, url: str) -> asyncio.Task[None]:
        """What the widget does after a drop: reconnect, resend what was never acknowledged (same ids).
        Returns the socket's reader, which ends when the socket closes."""
        ws = await http.ws_connect(url, params={"visitor": self.visitor}, heartbeat=None)
        reader = asyncio.create_task(self.read(ws))
        resend = self.unacked()
        if self.acked and self.resend_acked:  # as after a lost ack: it must not be answered twice
            resend.insert(0, list(self.acked)[-1])
        for cid in resend:
            await ws.send_json({"type": "message", "id": cid, "text": self.sent[cid]})
        return reader


def check_conversation(customer: Customer, messages: list[Message]) -> tuple[int, int]:
    """Every acknowledged message stored; every customer message answered or handed off; no message
    answered twice. Returns (customer messages, bot replies)."""
    stored = {m.client_id: m.seq for m in messages if m.direction == "in"}
    for cid, seq in customer.acked.items():
        assert stored.get(cid) == seq, f"acknowledged message {cid} (seq {seq}) is not stored"
    trace = "\n".join(
        f"  {m.seq:3} {m.direction:3} {m.kind:13} {m.client_id or '':14} {m.created_at:%T} {m.text[:30]}"
        for m in messages
    )
    waiting: list[Message] = []  # customer messages without their reply yet, in order
    handed_off = False
    replies = 0
    for m in messages:
        if m.direction == "in":
            if not handed_off:
                waiting.append(m)
        elif m.kind in TURN_REPLIES and m.author_kind == "bot":
            replies += 1
            assert waiting, f"a second reply in {customer.visitor}: {m.kind} at seq {m.seq}\n{trace}"
            waiting.pop(0)
            if m.kind == "handoff":  # from now on a person answers; the bot stays quiet
                handed_off = True
                waiting.clear()
    assert not waiting, f"{customer.visitor}: unanswered {[m.seq for m in waiting]}\n{trace}"
    return len(stored), replies


async def all_answered(url: str, customers: list[Customer], wait: float) -> tuple[int, int]:
    """Wait (up to `wait` s) until every conversation passes `check_conversation`; totals."""
    # A plain engine, not infra.db's: its connections must not look like a live Kundresa process.
    engine = create_async_engine(url)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                totals = [0, 0]
                async with engine.connect() as conn:
                    for c in customers:
                        conv_id = await conn.scalar(
                            select(Conversation.id)
                            .join(ChannelIdentity, ChannelIdentity.customer_id == Conversation.customer_id)
                            .where(
                                ChannelIdentity.kind == "web_visitor",
                                ChannelIdentity.external_id == c.visitor,
                            )
                        )
                        rows = await conn.execute(
                            select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
                        )
                        n, r = check_conversation(c, [Message(**row._mapping) for row in rows])
                        totals[0] += n
                        totals[1] += r
                return totals[0], totals[1]
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


def gone_within(pgid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := group_pids(pgid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


async def test_kill_9_mid_conversation_then_restart_loses_and_doubles_nothing(
    pg_kb_db_url: str, serve_process: Callable[..., ServeProcess]
) -> None:
    settings = {"database__url": pg_kb_db_url}
    began = time.monotonic()
    first = serve_process(settings, name="first")
    await asyncio.to_thread(first.wait_ready)
    print(f"\nfirst server ready in {time.monotonic() - began:.1f} s")
    rng = random.Random(12)
    # Half of them resend their last acknowledged message after the restart (as after a lost ack); the
    # others rely on the start-up pass alone for what the crash left unanswered.
    customers = [Customer(f"crash-{i}", resend_acked=i % 2 == 0) for i in range(CUSTOMERS)]
    async with aiohttp.ClientSession() as http:
        until = time.monotonic() + TALK_SECONDS
        talking = [asyncio.create_task(c.talk(http, first.ws_url, until + 60, rng)) for c in customers]
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        first.kill_main()  # mid-conversation: sockets are sending, answers are in flight
        killed_at = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*talking), 30)

        # The worker and the resource tracker die with the server (they used to stay, re-parented to 1).
        assert gone_within(first.pgid, 5) == [], "the model worker outlived the killed server"
        orphans_gone = time.monotonic() - killed_at

        acked_before = sum(len(c.acked) for c in customers)
        second = serve_process(settings, name="second")
        await asyncio.to_thread(second.wait_ready)
        restart_seconds = time.monotonic() - killed_at
        readers = [await c.reconnect_and_resend(http, second.ws_url) for c in customers]
        messages, replies = await all_answered(pg_kb_db_url, customers, wait=60)
        all_answered_after = time.monotonic() - killed_at
        assert acked_before > CUSTOMERS, "the server was killed before the conversations got going"
        print(
            f"\nkill -9 after {TALK_SECONDS:.0f} s of {CUSTOMERS} conversations: {acked_before} acknowledged "
            f"messages; worker gone after "
            f"{orphans_gone:.2f} s; new server ready {restart_seconds:.1f} s after the kill, every message "
            f"answered {all_answered_after:.1f} s after it; in the end "
            f"{messages} customer messages, {replies} bot replies, none unanswered, none twice"
        )
        print(next((line for line in second.log().splitlines() if "crash recovery:" in line), "no pass"))

        # SIGTERM while a customer waits for an answer: it arrives, then the socket closes with 1012.
        waiting = Customer("sigterm")
        ws = await http.ws_connect(second.ws_url, params={"visitor": waiting.visitor}, heartbeat=None)
        reader = asyncio.create_task(waiting.read(ws))
        await ws.send_json({"type": "message", "id": "last", "text": "hur lång är leveranstiden?"})
        await asyncio.wait_for(waiting.acks.wait(), 30)
        began = time.monotonic()
        code = await asyncio.to_thread(second.stop, signal.SIGTERM, 60)
        stopped = time.monotonic() - began
        await asyncio.wait_for(asyncio.gather(reader, *readers), 10)
    assert code == 0, second.log()
    assert [f["type"] for f in waiting.frames if f["type"] in TURN_REPLIES] == ["answer"], waiting.frames
    assert waiting.close_code == 1012
    assert all(c.close_code == 1012 for c in customers), [c.close_code for c in customers]
    assert gone_within(second.pgid, 5) == []
    print(f"SIGTERM to exit 0: {stopped:.2f} s")
