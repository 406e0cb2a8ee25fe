"""`TicketService`: every transition's rules, on SQLite (a `Router` without channels; HTTP where it is
about the answer's status and shape)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from config import ConflictError, NotFoundError, Settings, ValidationError
from infra.db import create_engine, create_sessionmaker
from router import tickets as tk
from router.auth import create_user
from router.channel import ChannelRegistry
from router.events import EventBus
from router.identity import Evidence, resolve_customer
from router.models import Conversation, Message, Ticket
from router.service import Router
from router.web import ROUTER


@pytest.fixture
async def router(make_settings: Callable[..., Settings]) -> AsyncIterator[Router]:
    from infra.migrate import upgrade

    settings = make_settings(routing={"default_capacity": 5})
    engine = create_engine(settings.database)
    await upgrade(engine)
    try:
        yield Router(create_sessionmaker(engine), settings, ChannelRegistry(), EventBus())
    finally:
        await engine.dispose()


async def customer(router: Router, visitor: str, **evidence: Any) -> int:
    _, conv_id = await router.identify([Evidence("web_visitor", visitor, False)], **evidence)
    await router.receive(conv_id, channel="web", address={}, text="Jag vill prata med en person")
    return conv_id


async def handoff(router: Router, conv_id: int, team_tags: list[list[str]] | None = None) -> int:
    ticket, _, _ = await router.tickets.handoff(
        conv_id, reason="asked_for_human", question="Varför nekas kortet?", attempts=[], tags=team_tags or []
    )
    return ticket.id


async def agent(router: Router, name: str, *, online: bool = False, **kwargs: Any) -> int:
    async with router.sessions() as session, session.begin():
        user, _ = await create_user(session, name, "agent", **kwargs)
        user.presence = "online" if online else "away"
        return user.id


async def ticket(router: Router, ticket_id: int) -> Ticket:
    async with router.sessions() as session:
        return await tk.get(session, ticket_id)


async def conversation(router: Router, conv_id: int) -> Conversation:
    conv = await router.conversation(conv_id)
    assert conv is not None
    return conv


async def test_claim_is_one_agents_and_conflicts_say_who_has_it(router: Router) -> None:
    anna, bo = await agent(router, "anna"), await agent(router, "bo")
    ticket_id = await handoff(router, await customer(router, "claim-1"))
    data = await router.tickets.claim(ticket_id, anna)
    assert (data["status"], data["assignee_id"]) == ("assigned", anna)
    assert (await router.tickets.claim(ticket_id, anna))["assignee_id"] == anna  # again: nothing changes
    with pytest.raises(ConflictError) as taken:
        await router.tickets.claim(ticket_id, bo)
    assert taken.value.code == "already_assigned" and "anna" in taken.value.message
    assert (await ticket(router, ticket_id)).assignee_id == anna
    await router.tickets.resolve(ticket_id, anna)
    with pytest.raises(ConflictError, match="resolved"):
        await router.tickets.claim(ticket_id, bo)  # over: claiming does not reopen it
    with pytest.raises(NotFoundError):
        await router.tickets.claim(987654, bo)
    with pytest.raises(NotFoundError):
        await router.tickets.claim(ticket_id, 987654)


async def test_reply_claims_a_queued_ticket_and_waits_for_the_customer(router: Router) -> None:
    anna, bo = await agent(router, "anna"), await agent(router, "bo")
    conv_id = await customer(router, "reply-1")
    ticket_id = await handoff(router, conv_id)
    with pytest.raises(ValidationError):
        await router.tickets.reply(ticket_id, anna, "   ")
    note = await router.tickets.reply(ticket_id, bo, "intern anteckning", internal=True)
    assert note["type"] == "note"
    assert (await ticket(router, ticket_id)).status == "open"  # a note neither claims nor answers
    stored = await router.tickets.reply(ticket_id, anna, "Hej! Vilket kort gäller det?")
    assert stored["type"] == "agent_message" and stored["agent"] == "anna"
    after = await ticket(router, ticket_id)
    assert (after.status, after.assignee_id) == ("waiting_customer", anna)
    assert after.first_response_at is not None
    await router.receive(conv_id, channel="web", address={}, text="Visa", client_id="c2")
    assert (await ticket(router, ticket_id)).status == "assigned"  # the customer answered: agent's turn
    await router.tickets.reply(ticket_id, bo, "Jag hjälper till")  # a colleague may answer too
    assert (await ticket(router, ticket_id)).assignee_id == anna
    await router.tickets.close(ticket_id)
    with pytest.raises(ConflictError, match="closed"):
        await router.tickets.reply(ticket_id, anna, "för sent")


async def test_resolve_and_close_hand_the_conversation_back_to_the_bot(router: Router) -> None:
    anna = await agent(router, "anna")
    conv_id = await customer(router, "resolve-1")
    ticket_id = await handoff(router, conv_id)
    conv = await conversation(router, conv_id)
    assert (conv.owner, conv.owner_changes) == ("agent", 1)
    data = await router.tickets.resolve(ticket_id, anna)
    assert (data["status"], data["assignee_id"]) == ("resolved", anna)  # resolving claims an unowned one
    conv = await conversation(router, conv_id)
    # Handed back, and counted: the bot's state from before is forgotten by its owner (bot/bot_state.py).
    assert (conv.owner, conv.owner_changes) == ("bot", 2)
    async with router.sessions() as session:
        kinds = list(await session.scalars(select(Message.kind).where(Message.conversation_id == conv_id)))
    assert kinds[-1] == "csat_request"
    with pytest.raises(ConflictError):
        await router.tickets.resolve(ticket_id, anna)  # resolved twice
    assert (await router.tickets.close(ticket_id))["status"] == "closed"
    with pytest.raises(ConflictError):
        await router.tickets.close(ticket_id)

    # Closing an active ticket directly (spam, a duplicate) hands back to the bot as well.
    spam = await handoff(router, await customer(router, "spam"))
    assert (await router.tickets.close(spam))["status"] == "closed"
    assert (await conversation(router, (await ticket(router, spam)).conversation_id)).owner == "bot"


async def test_transfer_requeues_for_the_other_team_and_dispatches(router: Router) -> None:
    anna = await agent(router, "anna", team="support", online=True)
    pelle = await agent(router, "pelle", team="payments")
    ticket_id = await handoff(router, await customer(router, "transfer-1"))
    assert (await ticket(router, ticket_id)).assignee_id == anna  # dispatched at once
    with pytest.raises(ValidationError):
        await router.tickets.transfer(ticket_id, "  ")
    data = await router.tickets.transfer(ticket_id, "payments")
    assert (data["status"], data["team"], data["assignee_id"]) == ("open", "payments", None)
    assert await router.tickets.set_presence(pelle, "online") == [ticket_id]
    assert (await ticket(router, ticket_id)).assignee_id == pelle
    await router.tickets.resolve(ticket_id, pelle)
    with pytest.raises(ConflictError):
        await router.tickets.transfer(ticket_id, "support")  # only an active ticket moves


async def test_queue_position_counts_only_the_same_teams_tickets_ahead(router: Router) -> None:
    first = await handoff(router, await customer(router, "q-1"))
    other_team = await handoff(router, await customer(router, "q-2"), [["betalning"]])
    second = await handoff(router, await customer(router, "q-3"))
    vip = await handoff(router, await customer(router, "q-4", vip=True))
    positions = {
        t: await router.tickets.queue_position(await ticket(router, t)) for t in (first, second, vip)
    }
    assert positions == {vip: 1, first: 2, second: 3}
    routing = router.settings.routing
    if routing.teams.get("betalning"):
        assert await router.tickets.queue_position(await ticket(router, other_team)) == 1
    anna = await agent(router, "anna")
    await router.tickets.claim(vip, anna)
    assert await router.tickets.queue_position(await ticket(router, vip)) == 1  # with an agent: next
    assert await router.tickets.queue_position(await ticket(router, second)) == 2


async def test_vip_reprioritises_and_dispatches(router: Router) -> None:
    solo = await agent(router, "solo", capacity=1)
    older = await handoff(router, await customer(router, "vip-older"))
    later = await handoff(router, await customer(router, "vip-later"))
    vip_customer = (await ticket(router, later)).customer_id
    data = await router.tickets.set_vip(vip_customer, True)
    assert data == {"id": vip_customer, "vip": True, "reprioritised_tickets": [later]}
    assert await router.tickets.set_presence(solo, "online") == [later]  # the VIP first
    assert (await ticket(router, older)).status == "open"
    with pytest.raises(NotFoundError):
        await router.tickets.set_vip(987654, True)
    with pytest.raises(ValidationError):
        await router.tickets.set_presence(solo, "busy")


async def test_a_merge_appends_seqs_and_the_agent_keeps_the_conversation(router: Router) -> None:
    """The merged-in conversation's messages follow the target's last seq, one block reserved on the row;
    with tickets moved in, the target's conversation is an agent's until every ticket there ends."""
    laptop = [Evidence("web_user", "u-1", True), Evidence("web_visitor", "laptop", False)]
    _, main = await router.identify(laptop)
    for i in range(3):
        await router.send(main, {"type": "notice", "text": f"laptop {i}"})
    own_ticket = await handoff(router, main)
    phone_conv = await customer(router, "phone")  # seq 1
    await router.send(phone_conv, {"type": "notice", "text": "phone"})  # seq 2
    moved_ticket = await handoff(router, phone_conv)
    signed_in = [Evidence("web_user", "u-1", True), Evidence("web_visitor", "phone", False)]
    assert (await router.identify(signed_in))[1] == main
    async with router.sessions() as session:
        rows = list(
            await session.execute(
                select(Message.seq, Message.payload)
                .where(Message.conversation_id == main)
                .order_by(Message.seq)
            )
        )
    assert [seq for seq, _ in rows] == [1, 2, 3, 4, 5]  # the laptop's 3, then the phone's 2
    assert all(payload.get("seq", seq) == seq for seq, payload in rows)
    conv = await conversation(router, main)
    assert (conv.next_seq, conv.owner) == (6, "agent")
    assert (await ticket(router, moved_ticket)).conversation_id == main
    assert (await router.send(main, {"type": "notice", "text": "after"}))["seq"] == 6

    # Two active tickets in one conversation: it is the bot's again only when both have ended.
    anna = await agent(router, "anna")
    await router.tickets.resolve(moved_ticket, anna)
    assert (await conversation(router, main)).owner == "agent"
    await router.tickets.resolve(own_ticket, anna)
    assert (await conversation(router, main)).owner == "bot"


async def test_after_a_merge_the_customer_has_the_merged_into_conversation_even_when_younger(
    router: Router,
) -> None:
    phone_conv = await customer(router, "old-phone")  # anonymous first: the older conversation
    verified = [Evidence("web_user", "u-3", True)]
    _, laptop_conv = await router.identify([*verified, Evidence("web_visitor", "new-laptop", False)])
    assert phone_conv < laptop_conv
    _, now = await router.identify([*verified, Evidence("web_visitor", "old-phone", False)])
    assert now == laptop_conv  # not the emptied, older one
    assert (await conversation(router, phone_conv)).merged_into_id == laptop_conv
    _, again = await router.identify(verified)
    assert again == laptop_conv
    await router.undo_merge((await _merges(router))[-1])
    assert (await conversation(router, phone_conv)).merged_into_id is None
    _, back = await router.identify([Evidence("web_visitor", "old-phone", False)])
    assert back == phone_conv


async def test_undo_gives_the_messages_their_old_seqs_and_locks_out_a_second_undo(router: Router) -> None:
    verified = [Evidence("web_user", "u-2", True)]
    _, main = await router.identify([*verified, Evidence("web_visitor", "desk", False)])
    await router.send(main, {"type": "notice", "text": "desk"})
    anon_conv = await customer(router, "tablet")
    ticket_id = await handoff(router, anon_conv)
    async with router.sessions() as session, session.begin():
        await resolve_customer(session, [*verified, Evidence("web_visitor", "tablet", False)])
    assert (await conversation(router, anon_conv)).owner == "bot"  # its ticket moved out with the messages
    merges = await _merges(router)
    record = await router.undo_merge(merges[0])
    assert record.undone_at is not None
    async with router.sessions() as session:
        back = list(
            await session.scalars(
                select(Message.seq).where(Message.conversation_id == anon_conv).order_by(Message.seq)
            )
        )
        left = list(await session.scalars(select(Message.seq).where(Message.conversation_id == main)))
    assert back == [1] and left == [1]  # the main conversation's seqs 2.. stay unused, never reissued
    assert (await ticket(router, ticket_id)).conversation_id == anon_conv
    assert (await conversation(router, anon_conv)).owner == "agent"
    assert (await conversation(router, main)).owner == "bot"
    with pytest.raises(ConflictError):
        await router.undo_merge(merges[0])
    with pytest.raises(NotFoundError):
        await router.undo_merge(987654)


async def _merges(router: Router) -> list[int]:
    from router.models import IdentityMerge

    async with router.sessions() as session:
        return list(await session.scalars(select(IdentityMerge.id).order_by(IdentityMerge.id)))


# -- over HTTP ---------------------------------------------------------------------------------------------
@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(server={"load_demo_kb": False})  # no knowledge base needed: a quick start


async def test_http_claim_conflict_is_409_with_the_holder(
    app_client: Any, make_user: Callable[..., Any], agent_headers: dict[str, str]
) -> None:
    router = app_client.app[ROUTER]
    bo = {"Authorization": f"Bearer {await make_user('bo', 'agent')}"}
    _, conv_id = await router.identify([Evidence("web_visitor", "http-claim", False)])
    ticket_id = await handoff(router, conv_id)
    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=agent_headers)
    assert resp.status == 200 and (await resp.json())["status"] == "assigned"
    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=bo)
    body = await resp.json()
    assert resp.status == 409
    assert body["error"]["code"] == "already_assigned" and "agnes" in body["error"]["message"]
    resp = await app_client.post(f"/api/tickets/{ticket_id}/transfer", json={"team": "payments"}, headers=bo)
    assert resp.status == 200 and (await resp.json())["assignee_id"] is None
    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=bo)
    assert resp.status == 200  # back in the queue: anyone may take it
    resp = await app_client.post(f"/api/tickets/{ticket_id}/resolve", json={}, headers=bo)
    assert resp.status == 200
    for path in ("claim", "resolve", "transfer"):
        resp = await app_client.post(f"/api/tickets/{ticket_id}/{path}", json={"team": "x"}, headers=bo)
        assert resp.status == 409, path
        assert (await resp.json())["error"]["code"] == "conflict"
    resp = await app_client.post("/api/agents/me/presence", json={"presence": "busy"}, headers=bo)
    assert resp.status == 400
