"""bot/channels/slack/agents.py: handoffs posted to the agents' channel (customer text masked), thread
replies to the customer, notes, Claim/Resolve buttons and commands."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from router.models import Message, User
from tests.bot.channels.slack.slack_app import (
    AGENT,
    AGENTS,
    HUMAN,
    action,
    command,
    idle,
    next_frame,
    send_event,
    slack_post_of,
    ticket_of,
)
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import CUSTOMER, DM, dm


async def test_slack_handoff_console_reply_resolve_and_csat(
    client: Any, fake_slack: FakeSlackAPI, agent_headers: dict[str, str]
) -> None:
    await send_event(client, dm("Kan jag betala med bitcoin hos er?", "1700000500.000100"))
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await idle(client)
    await send_event(client, dm(HUMAN, "1700000501.000100"))
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert "bitcoin" in post.dump() and "Kim Kund" in post.dump()
    actions = [
        e["action_id"] for b in post.params["blocks"] for e in b.get("elements", []) if "action_id" in e
    ]
    assert actions == ["kundresa_claim", "kundresa_resolve"]
    ticket = await ticket_of(client)
    refs = await slack_post_of(client, ticket.id)
    assert (refs["channel"], refs["ts"]) == (AGENTS, post.response["ts"])

    # A reply in the console reaches the customer's Slack thread.
    resp = await client.post(
        f"/api/tickets/{ticket.id}/messages", json={"text": "Tyvärr inte."}, headers=agent_headers
    )
    assert resp.status == 201
    reply = (await fake_slack.wait_for("chat.postMessage", lambda c: "Tyvärr inte." in c.dump(), channel=DM))[
        0
    ]
    assert reply.params["thread_ts"] == "1700000501.000100"
    assert "*agnes:*" in reply.dump()

    mirrored = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "Tyvärr inte." in c.dump(), channel=AGENTS
    )
    assert "(console)" in mirrored[0].dump() and mirrored[0].params["thread_ts"] == post.response["ts"]

    # The customer answers; it shows in the ticket's thread.
    await send_event(client, dm("Okej, tack ändå", "1700000502.000100"))
    mirrored = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "Okej, tack ändå" in c.dump(), channel=AGENTS
    )
    assert mirrored[0].params["thread_ts"] == post.response["ts"]

    # /kundresa resolve in the agents' channel: the newest open ticket there; the customer is asked for CSAT.
    await command(client, "resolve saker-betalning")
    csat = (
        await fake_slack.wait_for("chat.postMessage", lambda c: "kundresa_csat_5" in c.dump(), channel=DM)
    )[0]
    await idle(client)
    resolved = await ticket_of(client, id=ticket.id)
    assert resolved.status == "resolved" and resolved.resolved_article_slug == "saker-betalning"
    assert fake_slack.calls_to("chat.update", channel=AGENTS, ts=post.response["ts"])
    await action(
        client, CUSTOMER, DM, "kundresa_csat_5", "5", ts=csat.response["ts"], thread_ts="1700000501.000100"
    )
    await idle(client)
    assert (await ticket_of(client, id=ticket.id)).csat == 5


async def test_agent_thread_reply_reaches_web_customer_and_notes_stay_internal(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    ws = await client.ws_connect(
        "/ws/chat", params={"visitor": "web-1", "context": '{"step":"payment","order_id":"NH-7"}'}
    )
    await ws.send_json({"type": "message", "id": "m1", "text": HUMAN})
    handoff = await next_frame(ws, "notice")
    assert handoff["type"] == "handoff"
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert HUMAN in post.dump() and "NH-7" in post.dump()
    refs = await slack_post_of(client, handoff["ticket"])
    thread = refs["ts"]

    reply = {
        "type": "message",
        "channel": AGENTS,
        "channel_type": "channel",
        "user": AGENT,
        "thread_ts": thread,
    }
    await send_event(client, {**reply, "text": "// kolla ordern i Klarna först", "ts": "1700000600.000100"})
    await idle(client)
    await send_event(client, {**reply, "text": "Hej! Jag hjälper dig.", "ts": "1700000601.000100"})
    frame = await next_frame(ws)
    assert frame["type"] == "agent_message"  # not the note: that never reaches the customer
    assert frame["text"] == "Hej! Jag hjälper dig." and frame["agent"] == "Sven Agent"
    await idle(client)
    async with client.app[SESSIONS]() as session:
        notes = list(await session.scalars(select(Message).where(Message.kind == "note")))
        assert [(n.text, n.internal) for n in notes] == [("kolla ordern i Klarna först", True)]
        agent = await session.scalar(select(User).where(User.slack_user_id == AGENT))
        assert agent is not None and agent.role == "agent"
    ticket = await ticket_of(client, id=handoff["ticket"])
    assert ticket.assignee_id == agent.id and ticket.first_response_at is not None
    # Agents' own thread replies are not mirrored back into the thread.
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage", channel=AGENTS) if "Jag hjälper" in c.dump()
    ]
    await ws.close()


async def test_claim_button_and_commands_with_ticket_id(client: Any, fake_slack: FakeSlackAPI) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "web-2"})
    await ws.send_json({"type": "message", "id": "m1", "text": HUMAN})
    handoff = await next_frame(ws, "notice")
    ticket_id = handoff["ticket"]
    refs = await slack_post_of(client, ticket_id)
    await action(client, AGENT, AGENTS, "kundresa_claim", str(ticket_id), ts=refs["ts"])
    await fake_slack.wait_for("chat.update", lambda c: "Claimed by Sven Agent" in c.dump(), ts=refs["ts"])
    assert (await ticket_of(client, id=ticket_id)).status == "assigned"
    await command(client, f"resolve {ticket_id} no-such-article")
    [told] = await fake_slack.wait_for("chat.postEphemeral", user=AGENT)
    assert "no-such-article" in told.dump()
    assert (await ticket_of(client, id=ticket_id)).status == "assigned"
    await command(client, f"resolve #{ticket_id}")
    assert (await next_frame(ws))["type"] == "csat_request"
    await idle(client)
    assert (await ticket_of(client, id=ticket_id)).status == "resolved"
    await ws.close()


CARD = "4111 1111 1111 1111"


def has_card(text: str) -> bool:
    return "4111111111111111" in re.sub(r"\D", "", text)


async def test_agents_channel_posts_show_web_customer_text_masked(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "mask-web"})
    await ws.send_json(
        {"type": "message", "id": "m1", "text": f"Mitt kort {CARD} nekas. Jag vill prata med en människa"}
    )
    frame = await next_frame(ws, "notice", "answer", "clarify")
    while frame["type"] != "handoff":
        frame = await next_frame(ws, "notice", "answer", "clarify")
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert "nekas" in post.dump() and not has_card(post.dump()), post.dump()
    await slack_post_of(client, frame["ticket"])  # the thread exists: later messages are mirrored there
    await ws.send_json({"type": "message", "id": "m2", "text": f"Igen: {CARD.replace(' ', '-')} funkar inte"})
    [mirror] = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "funkar inte" in c.dump(), channel=AGENTS
    )
    assert not has_card(mirror.dump()), mirror.dump()
    await idle(client)
    assert not [c.dump() for c in fake_slack.calls if has_card(c.dump())]
    await ws.close()


async def test_a_slack_customers_card_number_is_masked_in_the_agents_channel(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    await send_event(client, dm(f"kortet {CARD} nekas, jag vill prata med en människa", "1700000200.000100"))
    await idle(client)
    posts = fake_slack.calls_to("chat.postMessage", channel=AGENTS)
    assert posts and any("nekas" in p.dump() for p in posts)
    assert not [p.dump() for p in posts if has_card(p.dump())]
    replies = fake_slack.calls_to("chat.postMessage", channel=DM)
    assert not [r.dump() for r in replies if has_card(r.dump())]  # nor echoed back to the customer
