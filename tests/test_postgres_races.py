"""Two real `kundresa serve` processes on one PostgreSQL, raced: claims, dispatch capacity, merges.

Each test starts two servers on its own copy of the demo database (`pg_kb_db_url`) and drives them only
through what a deployment exposes (the agent API and the chat socket); the database is read directly to
check the outcome. The model runs in each server's own thread (`model.worker = "thread"`): these tests
need no answers, and two worker processes of e5 would only cost memory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.webchat import sign_user
from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker
from router.auth import create_user
from router.models import Conversation, Customer, IdentityMerge, Message, Ticket
from tests.servers import IDENTITY_SECRET, ServeProcess

pytestmark = pytest.mark.postgres

ACTIVE = ("open", "assigned", "waiting_customer")
SERVE = {
    "model__worker": "thread",
    "chat__messages_per_minute": 10_000,
    "chat__connections_per_minute_per_ip": 0,
}


@dataclass
class Deployment:
    a: ServeProcess
    b: ServeProcess
    sessions: async_sessionmaker[AsyncSession]
    http: aiohttp.ClientSession

    @property
    def servers(self) -> tuple[ServeProcess, ServeProcess]:
        return self.a, self.b

    async def agent(self, name: str, role: str = "agent", **kwargs: Any) -> tuple[int, dict[str, str]]:
        """A user made in the database, as `kundresa user add` does: (id, bearer headers)."""
        async with self.sessions() as session, session.begin():
            user, token = await create_user(session, name, role, **kwargs)
            return user.id, {"Authorization": f"Bearer {token}"}

    async def post(self, server: ServeProcess, path: str, headers: dict[str, str], body: Any = None) -> Any:
        async with self.http.post(server.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def deployment(serve_process: Any, pg_kb_db_url: str) -> AsyncIterator[Deployment]:
    settings = {"database__url": pg_kb_db_url, **SERVE}
    a, b = serve_process(settings, name="a"), serve_process(settings, name="b")
    await asyncio.gather(asyncio.to_thread(a.wait_ready), asyncio.to_thread(b.wait_ready))
    engine = create_engine(DatabaseSettings(url=pg_kb_db_url))
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            yield Deployment(a, b, create_sessionmaker(engine), http)
    finally:
        await engine.dispose()


async def at_once(calls: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run the calls as nearly at the same instant as one event loop can: all wait on one start signal."""
    start = asyncio.Event()

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        await start.wait()
        return await call()

    tasks = [asyncio.create_task(run(c)) for c in calls]
    await asyncio.sleep(0.05)  # every task is parked on the event
    start.set()
    return await asyncio.gather(*tasks)


async def queued_tickets(sessions: async_sessionmaker[AsyncSession], n: int) -> list[int]:
    """`n` handed-off conversations, each with one queued ticket (what a handoff leaves with nobody
    online), written straight to the database: the race is in the claims, not here."""
    ids = []
    async with sessions() as session, session.begin():
        for _ in range(n):
            customer = Customer()
            session.add(customer)
            await session.flush()
            conv = Conversation(
                customer_id=customer.id, owner="agent", next_seq=1, context={}, last_address={}, bot_state={}
            )
            session.add(conv)
            await session.flush()
            ticket = Ticket(
                conversation_id=conv.id,
                customer_id=customer.id,
                status="open",
                team="support",
                reason="asked_for_human",
                bot_attempts=[],
                context={},
                external_refs={},
            )
            session.add(ticket)
            await session.flush()
            ids.append(ticket.id)
    return ids


async def next_frame(ws: aiohttp.ClientWebSocketResponse, *types: str, wait: float = 60) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await ws.receive_json(timeout=wait)
        if frame["type"] in types:
            return frame


async def handoff(dep: Deployment, server: ServeProcess, visitor: str, **params: str) -> int:
    """A customer asks for a person on `server`'s chat socket; the ticket id."""
    async with dep.http.ws_connect(server.ws_url, params={"visitor": visitor, **params}) as ws:
        await ws.send_json({"type": "human"})
        return int((await next_frame(ws, "handoff"))["ticket"])


# -- claims ------------------------------------------------------------------------------------------------
async def test_claims_through_two_processes_at_once_have_one_winner_each(deployment: Deployment) -> None:
    """100 claims on 50 tickets, two agents racing through two processes: one assignee per ticket; the
    loser gets 409 naming the winner. (Before the ticket service: both got 200 for all 50 tickets.)"""
    dep = deployment
    tickets = await queued_tickets(dep.sessions, 50)
    (anna, anna_h), (bo, bo_h) = await dep.agent("anna"), await dep.agent("bo")

    def claim(server: ServeProcess, headers: dict[str, str], ticket_id: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            status, body = await dep.post(server, f"/api/tickets/{ticket_id}/claim", headers)
            return ticket_id, headers is anna_h, status, body

        return call

    calls = []
    for i, ticket_id in enumerate(tickets):  # who goes through which process alternates
        first, second = (dep.a, dep.b) if i % 2 == 0 else (dep.b, dep.a)
        calls += [claim(first, anna_h, ticket_id), claim(second, bo_h, ticket_id)]
    results = await at_once(calls)

    outcomes: dict[int, list[tuple[bool, int, Any]]] = {t: [] for t in tickets}
    for ticket_id, is_anna, status, body in results:
        outcomes[ticket_id].append((is_anna, status, body))
    double = [t for t, o in outcomes.items() if [s for _, s, _ in o] == [200, 200]]
    assert not double, f"{len(double)} of {len(tickets)} tickets were claimed by both agents"
    async with dep.sessions() as session:
        stored = {t.id: t for t in await session.scalars(select(Ticket).where(Ticket.id.in_(tickets)))}
    for ticket_id, pair in outcomes.items():
        assert sorted(s for _, s, _ in pair) == [200, 409], (ticket_id, pair)
        (won_anna, _, won), (_, _, lost) = sorted(pair, key=lambda p: p[1])
        winner, winner_name = (anna, "anna") if won_anna else (bo, "bo")
        assert won["assignee_id"] == winner == stored[ticket_id].assignee_id
        assert stored[ticket_id].status == "assigned"
        assert lost["error"]["code"] == "already_assigned" and winner_name in lost["error"]["message"]
    wins = Counter(t.assignee_id for t in stored.values())
    assert sum(wins.values()) == len(tickets)


# -- capacity ----------------------------------------------------------------------------------------------
async def loads(sessions: async_sessionmaker[AsyncSession]) -> tuple[dict[int, int], int]:
    """(active tickets per agent, tickets still queued)."""
    async with sessions() as session:
        rows = await session.execute(
            select(Ticket.assignee_id, func.count())
            .where(Ticket.status.in_(ACTIVE), Ticket.assignee_id.is_not(None))
            .group_by(Ticket.assignee_id)
        )
        queued = await session.scalar(select(func.count()).where(Ticket.status == "open"))
        return {int(uid): int(n) for uid, n in rows}, int(queued or 0)


async def test_capacity_holds_when_agents_and_tickets_arrive_through_two_processes(
    deployment: Deployment,
) -> None:
    """Six agents of capacity 2 go online while 24 customers ask for a person, through both processes
    at once; then, three times, every agent resolves one ticket while six more customers arrive. After
    each wave no agent is over capacity and nobody is idle while tickets wait. (Before: dispatches in
    two processes read the same unlocked loads; two agents ended with 7 and 17 tickets, four with none.)"""
    dep = deployment
    capacity = 2
    agents = [await dep.agent(f"agent-{i}", capacity=capacity) for i in range(6)]
    server = dep.servers

    def online(i: int) -> Callable[[], Awaitable[Any]]:
        body = {"presence": "online"}
        return lambda: dep.post(server[i % 2], "/api/agents/me/presence", agents[i][1], body)

    def customer(n: int) -> Callable[[], Awaitable[int]]:
        return lambda: handoff(dep, server[n % 2], f"capacity-{n}")

    results = await at_once([online(i) for i in range(6)] + [customer(n) for n in range(24)])
    assert all(status == 200 for status, _ in results[:6]), results[:6]
    failures: list[str] = []

    async def check(wave: str) -> None:
        per_agent, queued = await loads(dep.sessions)
        if max(per_agent.values(), default=0) > capacity:
            failures.append(f"{wave}: capacity {capacity} exceeded: {sorted(per_agent.values())}")
        if sum(per_agent.values()) != 6 * capacity or queued != 24 - 6 * capacity:
            # six freed, six arrived: every agent full again, the queue as long as before
            failures.append(f"{wave}: {sorted(per_agent.values())} active, {queued} queued")

    await check("online")
    arrived = 24
    for wave in range(3):
        async with dep.sessions() as session:
            mine = {
                uid: await session.scalar(
                    select(Ticket.id)
                    .where(Ticket.assignee_id == uid, Ticket.status.in_(ACTIVE))
                    .order_by(Ticket.id)
                    .limit(1)
                )
                for uid, _ in agents
            }
        has_one = [i for i, (uid, _) in enumerate(agents) if mine[uid] is not None]

        def resolve(i: int, ticket_id: int | None) -> Callable[[], Awaitable[Any]]:
            path = f"/api/tickets/{ticket_id}/resolve"
            return lambda: dep.post(server[(i + 1) % 2], path, agents[i][1], {})

        calls = [resolve(i, mine[agents[i][0]]) for i in has_one]
        calls += [customer(arrived + n) for n in range(len(has_one))]
        arrived += len(has_one)
        results = await at_once(calls)
        assert all(status == 200 for status, _ in results[: len(has_one)]), results[: len(has_one)]
        await check(f"wave {wave}")
    assert not failures, "\n".join(failures)


# -- merges ------------------------------------------------------------------------------------------------
async def seqs_of(sessions: async_sessionmaker[AsyncSession], conversation_id: int) -> tuple[list[int], int]:
    async with sessions() as session:
        seqs = list(
            await session.scalars(
                select(Message.seq).where(Message.conversation_id == conversation_id).order_by(Message.seq)
            )
        )
        conv = await session.get(Conversation, conversation_id)
        assert conv is not None
        return seqs, conv.next_seq


async def conversation_of_ticket(sessions: async_sessionmaker[AsyncSession], ticket_id: int) -> int:
    async with sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.conversation_id


async def talk(ws: aiohttp.ClientWebSocketResponse, prefix: str, n: int) -> list[tuple[str, int | None]]:
    """`n` customer messages, each sent when the previous one was acknowledged: (client id, seq or None)."""
    acks: list[tuple[str, int | None]] = []
    for i in range(n):
        client_id = f"{prefix}-{i}"
        await ws.send_json({"type": "message", "id": client_id, "text": f"{prefix} skriver {i}"})
        frame = await next_frame(ws, "ack", "error")
        acks.append((client_id, frame.get("seq") if frame["type"] == "ack" else None))
        await asyncio.sleep(0.01)
    return acks


async def merge_round(dep: Deployment, agent: dict[str, str], round_: int, n: int) -> list[str]:
    """One round of the merge race (see the test); what went wrong."""
    user = f"u-{round_}"
    signed = {"user": user, "sig": sign_user(user, IDENTITY_SECRET)}
    laptop = await dep.http.ws_connect(dep.a.ws_url, params={"visitor": f"laptop-{round_}", **signed})
    phone = await dep.http.ws_connect(dep.b.ws_url, params={"visitor": f"phone-{round_}"})
    try:
        for ws in (laptop, phone):  # a person owns both: the bot stays quiet, messages are only stored
            await ws.send_json({"type": "human"})
        main_ticket = int((await next_frame(laptop, "handoff"))["ticket"])
        await next_frame(phone, "handoff")
        main_conv = await conversation_of_ticket(dep.sessions, main_ticket)

        async def replies() -> list[int]:
            path = f"/api/tickets/{main_ticket}/messages"
            return [(await dep.post(dep.b, path, agent, {"text": f"svar {i}"}))[0] for i in range(n)]

        async def sign_in_on_phone() -> str | None:
            await asyncio.sleep(0.15)  # in the middle of the stream
            params = {"visitor": f"phone-{round_}", **signed}
            try:
                async with dep.http.ws_connect(dep.a.ws_url, params=params) as ws:
                    await ws.send_json({"type": "resume", "after": 0})  # answered: the socket is up
                    await ws.receive_json(timeout=30)
            except (aiohttp.ClientError, TypeError, ValueError) as exc:  # a failed merge: not a chat socket
                return f"round {round_}: signing in on the phone failed: {exc!r}"
            return None

        laptop_acks, phone_acks, reply_statuses, signed_in = await asyncio.gather(
            talk(laptop, f"laptop-{round_}", n),
            talk(phone, f"phone-{round_}", n),
            replies(),
            sign_in_on_phone(),
        )
    finally:
        await laptop.close()
        await phone.close()

    failures = [signed_in] if signed_in else []
    acked = [cid for cid, seq in laptop_acks + phone_acks if seq is not None]
    if len(acked) != 2 * n:
        failures.append(f"round {round_}: {2 * n - len(acked)} messages got an error, no ack")
    if any(s != 201 for s in reply_statuses):
        failures.append(f"round {round_}: agent replies answered {Counter(reply_statuses)}")
    async with dep.sessions() as session:
        stored = Counter(await session.scalars(select(Message.client_id).where(Message.client_id.in_(acked))))
        phone_convs = set(
            await session.scalars(
                select(Message.conversation_id).where(Message.client_id.like(f"phone-{round_}-%"))
            )
        )
        merged = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_not(None))
        )
    if set(stored) != set(acked) or max(stored.values(), default=1) != 1:
        failures.append(f"round {round_}: acknowledged messages stored {dict(stored)}")
    if merged != round_ + 1:
        failures.append(f"round {round_}: the phone's sign-in merged nothing")
    seqs, next_seq = await seqs_of(dep.sessions, main_conv)
    if seqs != list(range(1, next_seq)):
        failures.append(f"round {round_}: main conversation seqs {seqs}, next {next_seq}")
    for conv_id in phone_convs - {main_conv}:
        # the phone's own conversation: what it stored after the merge stays, after the moved ones' seqs
        rest, rest_next = await seqs_of(dep.sessions, conv_id)
        if rest != list(range(rest_next - len(rest), rest_next)):
            failures.append(f"round {round_}: phone conversation seqs {rest}, next {rest_next}")
    return failures


async def test_merges_under_concurrent_messages_keep_seqs_unique_and_gapless(deployment: Deployment) -> None:
    """Five times: a signed-in customer (laptop, process A) and the same person still anonymous on the
    phone (process B) both talk to an agent; while messages stream into both conversations and the agent
    replies through B, the phone signs in through A: the phone's conversation is merged into the
    laptop's. Every message is stored once, every conversation's seqs are unique and without holes.
    Then an admin undoes each merge through both processes at once: one undo each, the other is 409.
    (Before: the merge wrote `next_seq` from an unlocked read and its seqs collided with the messages
    stored meanwhile: all 5 merges failed on the unique (conversation, seq) and the sign-in socket broke.)"""
    dep = deployment
    _, agent = await dep.agent("agnes")
    failures: list[str] = []
    for round_ in range(5):
        failures += await merge_round(dep, agent, round_, n=12)

    _, admin = await dep.agent("ada", role="admin")
    async with dep.sessions() as session:
        merges = list(await session.scalars(select(IdentityMerge.id).order_by(IdentityMerge.id)))

    def undo(server: ServeProcess, merge_id: int) -> Callable[[], Awaitable[Any]]:
        return lambda: dep.post(server, f"/api/merges/{merge_id}/undo", admin)

    results = await at_once([undo(server, m) for m in merges for server in dep.servers])
    for i, merge_id in enumerate(merges):
        statuses = sorted(status for status, _ in results[2 * i : 2 * i + 2])
        if statuses != [200, 409]:
            failures.append(f"merge {merge_id}: two undos at once answered {statuses}")
    assert not failures, "\n".join(failures)
