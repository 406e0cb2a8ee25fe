"""Assignment: capacity, round robin, VIP and payment-step priority, team routing, the queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings
from infra.app_keys import SESSIONS
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from router import tickets as tk
from router.auth import create_user
from router.channel import ChannelRegistry
from router.events import EventBus
from router.identity import Evidence
from router.models import Ticket, User
from router.service import Router

TEAMS = {"betalning": "payments", "faktura": "payments", "leverans": "logistics"}


@pytest.fixture
async def router(make_settings: Callable[..., Settings]) -> AsyncIterator[Router]:
    """A Router on a throwaway SQLite database, no channels: tickets and agents only."""
    settings = make_settings(routing={"teams": TEAMS, "default_capacity": 3})
    engine = create_engine(settings.database)
    await upgrade(engine)
    try:
        yield Router(create_sessionmaker(engine), settings, ChannelRegistry(), EventBus())
    finally:
        await engine.dispose()


async def handoff(
    router: Router,
    visitor: str,
    *,
    vip: bool = False,
    step: str | None = None,
    tags: tuple[tuple[str, ...], ...] = (),
) -> int:
    """A customer writes (on `step` of the shop) and is handed off; the ticket id."""
    _, conv = await router.identify([Evidence("web_visitor", visitor, False)], vip=vip)
    await router.receive(
        conv, channel="web", address={}, text="Jag behöver hjälp", context={"step": step} if step else None
    )
    ticket, new, _ = await router.tickets.handoff(
        conv, reason="asked_for_human", question=None, attempts=[], tags=[list(t) for t in tags]
    )
    assert new
    return ticket.id


async def agent(
    router: Router, name: str, *, team: str | None = None, capacity: int | None = None, online: bool = True
) -> int:
    async with router.sessions() as session, session.begin():
        user, _ = await create_user(session, name, "agent", team=team, capacity=capacity)
        user.presence = "online" if online else "away"
        return user.id


async def go_online(router: Router, *user_ids: int) -> list[tuple[int, int]]:
    """Several agents online at once (what `POST /api/agents/me/presence` does for one), then the queue
    is dispatched: (ticket, agent) pairs."""
    async with router.sessions() as session, session.begin():
        for uid in user_ids:
            user = await session.get(User, uid)
            assert user is not None
            user.presence = "online"
    return await router.tickets.dispatch()


async def tickets(router: Router) -> dict[int, Ticket]:
    async with router.sessions() as session:
        return {t.id: t for t in await session.scalars(select(Ticket))}


async def resolve(router: Router, ticket_id: int) -> list[tuple[int, int]]:
    """Resolve as its assignee; the (ticket, agent) pairs the freed capacity was dispatched to."""
    heard: list[tuple[int, int]] = []

    async def on_ticket(_topic: str, event: dict[str, Any]) -> None:
        if event["event"] == "assigned":
            heard.append((event["ticket_id"], event["agent_id"]))

    unsubscribe = router.bus.subscribe("tickets", on_ticket)
    try:
        assignee = (await tickets(router))[ticket_id].assignee_id
        assert assignee is not None
        await router.tickets.resolve(ticket_id, assignee)
    finally:
        unsubscribe()
    return heard


async def test_capacity_is_respected(router: Router) -> None:
    solo = await agent(router, "solo", capacity=1)
    first = await handoff(router, "v1")
    second = await handoff(router, "v2")
    third = await handoff(router, "v3")
    state = await tickets(router)
    assert state[first].assignee_id == solo and state[first].status == "assigned"
    assert state[second].assignee_id is None and state[second].status == "open"
    assert state[third].assignee_id is None and state[third].status == "open"

    # A freed slot takes the next ticket in the queue (the oldest), never two at once.
    assert await resolve(router, first) == [(second, solo)]
    state = await tickets(router)
    assert state[third].status == "open"
    active = [t for t in state.values() if t.assignee_id == solo and t.status in tk.OPEN_STATUSES]
    assert len(active) == 1


async def test_capacity_zero_takes_nothing_and_default_capacity_applies(router: Router) -> None:
    await agent(router, "break", capacity=0)
    default = await agent(router, "default")  # capacity None: routing.default_capacity (3)
    ids = [await handoff(router, f"v{i}") for i in range(5)]
    state = await tickets(router)
    assert [state[i].assignee_id for i in ids] == [default, default, default, None, None]


async def test_round_robin_is_fair_for_new_tickets(router: Router) -> None:
    a = await agent(router, "anna", team="support")
    b = await agent(router, "bo", team="support")
    ids = [await handoff(router, f"v{i}") for i in range(3)]
    state = await tickets(router)
    assert [state[i].assignee_id for i in ids] == [a, b, a]


async def test_round_robin_splits_a_waiting_queue(router: Router) -> None:
    a = await agent(router, "anna", team="support", online=False)
    b = await agent(router, "bo", team="support", online=False)
    ids = [await handoff(router, f"v{i}") for i in range(3)]
    assigned = await go_online(router, a, b)
    assert assigned == [(ids[0], a), (ids[1], b), (ids[2], a)]
    assert Counter(agent_id for _, agent_id in assigned) == {a: 2, b: 1}

    # Whoever was assigned longest ago goes next: bo, then anna.
    more = [await handoff(router, f"w{i}") for i in range(2)]
    state = await tickets(router)
    assert [state[i].assignee_id for i in more] == [b, a]


async def test_vip_first(router: Router) -> None:
    solo = await agent(router, "solo", capacity=1, online=False)
    older = await handoff(router, "plain")
    vip = await handoff(router, "vip", vip=True)
    state = await tickets(router)
    assert state[vip].priority > state[older].priority
    assert await go_online(router, solo) == [(vip, solo)]
    assert (await tickets(router))[older].status == "open"


async def test_payment_step_goes_before_older_tickets_but_after_vip(router: Router) -> None:
    solo = await agent(router, "solo", capacity=1, online=False)
    older = await handoff(router, "browsing", step="cart")
    paying = await handoff(router, "paying", step="payment")
    assert await go_online(router, solo) == [(paying, solo)]
    vip = await handoff(router, "vip", vip=True)  # queued: solo is full
    assert await resolve(router, paying) == [(vip, solo)]
    assert await resolve(router, vip) == [(older, solo)]
    state = await tickets(router)
    assert state[vip].priority == tk.PRIORITY_VIP
    assert state[paying].priority == tk.PRIORITY_PAYMENT
    assert state[older].priority == 0


def test_team_for_uses_the_considered_articles_tags(settings: Settings) -> None:
    routing = settings.routing.model_copy(update={"teams": TEAMS})
    assert tk.team_for([["betalning", "kort"], ["swish"], ["faktura"]], routing) == "payments"
    assert tk.team_for([["leverans"], ["leverans"], ["betalning"]], routing) == "logistics"
    assert tk.team_for([["okänd"]], routing) == routing.default_team
    assert tk.team_for([], routing) == routing.default_team


async def test_team_routing(router: Router) -> None:
    logistics = await agent(router, "lisa", team="logistics")
    payment_ticket = await handoff(router, "v1", tags=(("betalning", "kort"), ("swish",)))
    state = await tickets(router)
    assert state[payment_ticket].team == "payments"
    assert state[payment_ticket].status == "open"  # lisa is of another team: it waits
    payments = await agent(router, "pelle", team="payments", online=False)
    assert await go_online(router, payments) == [(payment_ticket, payments)]

    parcel = await handoff(router, "v2", tags=(("leverans",),))
    plain = await handoff(router, "v3")  # no tags: the default team
    state = await tickets(router)
    assert state[parcel].team == "logistics" and state[parcel].assignee_id == logistics
    assert state[plain].team == "support" and state[plain].status == "open"


async def test_an_agent_without_a_team_takes_any_team_by_priority(router: Router) -> None:
    any_team = await agent(router, "allround", capacity=1, online=False)
    older = await handoff(router, "plain", tags=(("betalning",),))  # payments, priority 0
    vip = await handoff(router, "vip", vip=True)  # support, VIP
    assert await go_online(router, any_team) == [(vip, any_team)]
    assert (await tickets(router))[older].status == "open"


async def test_nobody_online_queues_until_an_agent_goes_online(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    token = await make_user("nora", "agent", team="support")
    headers = {"Authorization": f"Bearer {token}"}
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "queue-1"})
    await ws.send_json({"type": "human"})
    while (frame := await ws.receive_json(timeout=30))["type"] != "handoff":
        pass
    ticket_id = frame["ticket"]

    resp = await app_client.get("/api/tickets", params={"status": "open"}, headers=headers)
    queued = {t["id"]: t for t in (await resp.json())["tickets"]}
    assert queued[ticket_id]["assignee_id"] is None  # nobody online: it waits in the queue

    resp = await app_client.post("/api/agents/me/presence", json={"presence": "online"}, headers=headers)
    assert resp.status == 200
    assert (await resp.json())["assigned"] == [ticket_id]
    resp = await app_client.get(f"/api/tickets/{ticket_id}", headers=headers)
    body = await resp.json()
    assert body["status"] == "assigned"
    async with app_client.app[SESSIONS]() as session:
        nora = await session.scalar(select(User).where(User.name == "nora"))
        assert nora is not None and body["assignee_id"] == nora.id
    await ws.close()
