"""Agent API: the handoff queue, claim, reply, transfer, resolve, presence and customer timelines."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import ValidationError
from knowledge.db import utcnow
from router import tickets as tk
from router.assignment import assign, dispatch
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket, User
from router.web import KB, ROUTER, SESSIONS, SETTINGS, read_object, requires, user_of


def _ticket_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError as exc:
        raise ValidationError("ticket id must be a number") from exc


@requires("agent")
async def list_tickets(request: web.Request) -> web.Response:
    status = request.query.get("status")
    if status and status not in (*tk.TICKET_STATUSES, "active"):
        raise ValidationError(f"status must be one of {', '.join(tk.TICKET_STATUSES)} or active")
    query = select(Ticket)
    if status == "active":
        query = query.where(Ticket.status.in_(tk.OPEN_STATUSES))
    elif status:
        query = query.where(Ticket.status == status)
    if request.query.get("mine") in ("1", "true"):
        query = query.where(Ticket.assignee_id == user_of(request).id)
    if request.query.get("team"):
        query = query.where(Ticket.team == request.query["team"])
    async with request.app[SESSIONS]() as session:
        rows = await session.scalars(query.order_by(Ticket.priority.desc(), Ticket.id).limit(500))
        items = [tk.ticket_json(t) for t in rows]
    return web.json_response({"tickets": items, "count": len(items)})


@requires("agent")
async def get_ticket(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        ticket = await tk.get(session, _ticket_id(request))
        data = tk.ticket_json(ticket)
        data["timeline"] = await _timeline(session, ticket.customer_id)
    return web.json_response(data)


@requires("agent")
async def claim(request: web.Request) -> web.Response:
    user = user_of(request)
    async with request.app[SESSIONS]() as session, session.begin():
        ticket = await tk.get(session, _ticket_id(request))
        agent = await session.get(User, user.id)
        assert agent is not None
        if ticket.assignee_id not in (None, user.id) and ticket.status in tk.OPEN_STATUSES:
            body = tk.ticket_json(ticket)
        else:
            assign(ticket, agent)
            body = tk.ticket_json(ticket)
    await request.app[ROUTER].bus.publish(
        "tickets", {"event": "claimed", "ticket_id": body["id"], "agent": user.name}
    )
    return web.json_response(body)


@requires("agent")
async def post_message(request: web.Request) -> web.Response:
    user = user_of(request)
    body = await read_object(request)
    text = body.get("text")
    internal = bool(body.get("internal", False))
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("'text' is required")
    if len(text) > 10_000:
        raise ValidationError("'text' is over 10000 characters")
    router = request.app[ROUTER]
    async with request.app[SESSIONS]() as session, session.begin():
        ticket = await tk.get(session, _ticket_id(request))
        if ticket.status in ("closed",):
            raise ValidationError("this ticket is closed", code="conflict")
        if not internal:
            if ticket.assignee_id is None:
                agent = await session.get(User, user.id)
                assert agent is not None
                assign(ticket, agent)
            if ticket.first_response_at is None:
                ticket.first_response_at = utcnow()
            if ticket.status == "assigned":
                tk.move(ticket, "waiting_customer")
        conv_id = ticket.conversation_id
        ticket_id = ticket.id
    frame = {"type": "agent_message", "text": text.strip(), "agent": user.name}
    if internal:
        frame = {"type": "note", "text": text.strip(), "agent": user.name}
    stored = await router.send(conv_id, frame, author_kind="agent", author_id=user.id, internal=internal)
    await router.bus.publish("tickets", {"event": "message", "ticket_id": ticket_id})
    return web.json_response({"seq": stored["seq"], "internal": internal}, status=201)


@requires("agent")
async def resolve(request: web.Request) -> web.Response:
    """Close the handoff; naming an article teaches the bot the question that led here."""
    user = user_of(request)
    body = await read_object(request) if request.can_read_body else {}
    slug = body.get("article")
    if slug is not None and (not isinstance(slug, str) or not slug):
        raise ValidationError("'article' must be an article slug")
    kb = request.app[KB]
    router = request.app[ROUTER]
    async with request.app[SESSIONS]() as session, session.begin():
        ticket = await tk.get(session, _ticket_id(request))
        if slug:
            await kb.get(slug)  # 404 for an unknown article, before anything changes
        tk.move(ticket, "resolved")
        ticket.resolved_article_slug = slug
        if ticket.assignee_id is None:
            ticket.assignee_id = user.id
        conv = await session.get(Conversation, ticket.conversation_id)
        if conv is not None:
            conv.owner = "bot"  # the bot takes over again
            conv.bot_state = {"lang": (conv.bot_state or {}).get("lang", "sv")}
        question, conv_id, data = ticket.question, ticket.conversation_id, tk.ticket_json(ticket)
        await dispatch(session, request.app[SETTINGS].routing)
    learned = False
    if slug and question:
        learned = await kb.add_question(slug, question, source="resolved_ticket", author=user.name)
    await router.send(conv_id, {"type": "csat_request", "ticket": data["id"]})
    await router.bus.publish("tickets", {"event": "resolved", "ticket_id": data["id"]})
    data["learned_question"] = question if learned else None
    return web.json_response(data)


@requires("agent")
async def transfer(request: web.Request) -> web.Response:
    body = await read_object(request)
    team = body.get("team")
    if not isinstance(team, str) or not team.strip():
        raise ValidationError("'team' is required")
    async with request.app[SESSIONS]() as session, session.begin():
        ticket = await tk.get(session, _ticket_id(request))
        ticket.team = team.strip()
        ticket.assignee_id = None
        if ticket.status != "open":
            tk.move(ticket, "open")
        await dispatch(session, request.app[SETTINGS].routing)
        data = tk.ticket_json(ticket)
    await request.app[ROUTER].bus.publish("tickets", {"event": "transferred", "ticket_id": data["id"]})
    return web.json_response(data)


@requires("agent")
async def presence(request: web.Request) -> web.Response:
    body = await read_object(request)
    status = body.get("presence")
    if status not in ("online", "away"):
        raise ValidationError("'presence' must be 'online' or 'away'")
    async with request.app[SESSIONS]() as session, session.begin():
        user = await session.get(User, user_of(request).id)
        assert user is not None
        user.presence = status
        assigned = await dispatch(session, request.app[SETTINGS].routing) if status == "online" else []
    return web.json_response({"presence": status, "assigned": [t for t, _ in assigned]})


async def _timeline(session: Any, customer_id: int) -> list[dict[str, Any]]:
    conv_ids = list(
        await session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id))
    )
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(conv_ids))
        .order_by(Message.created_at, Message.conversation_id, Message.seq)
    )
    return [
        {
            "conversation_id": m.conversation_id,
            "seq": m.seq,
            "channel": m.channel,
            "direction": m.direction,
            "author": m.author_kind,
            "kind": m.kind,
            "text": m.text,
            "internal": m.internal,
            "context": m.context,
            "payload": m.payload,
            "created_at": m.created_at.isoformat(),
        }
        for m in rows
    ]


@requires("agent")
async def timeline(request: web.Request) -> web.Response:
    try:
        customer_id = int(request.match_info["id"])
    except ValueError as exc:
        raise ValidationError("customer id must be a number") from exc
    async with request.app[SESSIONS]() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            from config import NotFoundError

            raise NotFoundError(f"no customer {customer_id}")
        idents = await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
        )
        data = {
            "customer": {
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "vip": customer.vip,
                "identities": [
                    {"kind": i.kind, "external_id": i.external_id, "verified": i.verified} for i in idents
                ],
            },
            "messages": await _timeline(session, customer_id),
        }
    return web.json_response(data)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/tickets", list_tickets)
    app.router.add_get("/api/tickets/{id}", get_ticket)
    app.router.add_post("/api/tickets/{id}/claim", claim)
    app.router.add_post("/api/tickets/{id}/messages", post_message)
    app.router.add_post("/api/tickets/{id}/resolve", resolve)
    app.router.add_post("/api/tickets/{id}/transfer", transfer)
    app.router.add_post("/api/agents/me/presence", presence)
    app.router.add_get("/api/customers/{id}/timeline", timeline)
