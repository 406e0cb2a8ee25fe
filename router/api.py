"""Agent API: the handoff queue, claim, reply, transfer, resolve, presence and customer timelines.

Handlers read; every change goes through `Router.tickets` (`router.ticket_service`), which answers a
conflict (a ticket another agent holds, a move the lifecycle forbids) with ConflictError: HTTP 409.
"""

from __future__ import annotations

import heapq
from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import NotFoundError, ValidationError
from router import tickets as tk
from router.conversations import message_json
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket
from router.shop_events.store import events_for_timeline
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
        data["timeline"] = await timeline_of(session, ticket.customer_id, request.app[SETTINGS])
    return web.json_response(data)


@requires("agent")
async def claim(request: web.Request) -> web.Response:
    data = await request.app[ROUTER].tickets.claim(_ticket_id(request), user_of(request).id)
    return web.json_response(data)


@requires("agent")
async def post_message(request: web.Request) -> web.Response:
    body = await read_object(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise ValidationError("'text' is required")
    internal = bool(body.get("internal", False))
    stored = await request.app[ROUTER].tickets.reply(
        _ticket_id(request), user_of(request).id, text, internal=internal
    )
    return web.json_response({"seq": stored["seq"], "internal": internal}, status=201)


@requires("agent")
async def resolve(request: web.Request) -> web.Response:
    """Close the handoff; naming an article teaches the bot the question that led here."""
    body = await read_object(request) if request.can_read_body else {}
    slug = body.get("article")
    if slug is not None and (not isinstance(slug, str) or not slug):
        raise ValidationError("'article' must be an article slug")
    data = await request.app[ROUTER].tickets.resolve(
        _ticket_id(request), user_of(request).id, article=slug, kb=request.app[KB]
    )
    return web.json_response(data)


@requires("agent")
async def close(request: web.Request) -> web.Response:
    return web.json_response(await request.app[ROUTER].tickets.close(_ticket_id(request)))


@requires("agent")
async def transfer(request: web.Request) -> web.Response:
    body = await read_object(request)
    team = body.get("team")
    if not isinstance(team, str):
        raise ValidationError("'team' is required")
    return web.json_response(await request.app[ROUTER].tickets.transfer(_ticket_id(request), team))


@requires("agent")
async def presence(request: web.Request) -> web.Response:
    body = await read_object(request)
    status = body.get("presence")
    if status not in ("online", "away"):
        raise ValidationError("'presence' must be 'online' or 'away'")
    assigned = await request.app[ROUTER].tickets.set_presence(user_of(request).id, status)
    return web.json_response({"presence": status, "assigned": assigned})


async def timeline_of(session: Any, customer_id: int, settings: Any = None) -> list[dict[str, Any]]:
    """Every message on every channel, and the customer's shop events (`kind` "event"), oldest first."""
    conv_ids = list(
        await session.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id))
    )
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(conv_ids))
        .order_by(Message.created_at, Message.conversation_id, Message.seq)
    )
    messages = [message_json(m) for m in rows]
    events = await events_for_timeline(session, customer_id, settings)
    return list(heapq.merge(messages, events, key=lambda m: m["created_at"])) if events else messages


@requires("agent")
async def timeline(request: web.Request) -> web.Response:
    try:
        customer_id = int(request.match_info["id"])
    except ValueError as exc:
        raise ValidationError("customer id must be a number") from exc
    async with request.app[SESSIONS]() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None:
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
            "messages": await timeline_of(session, customer_id, request.app[SETTINGS]),
        }
    return web.json_response(data)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/tickets", list_tickets)
    app.router.add_get("/api/tickets/{id}", get_ticket)
    app.router.add_post("/api/tickets/{id}/claim", claim)
    app.router.add_post("/api/tickets/{id}/messages", post_message)
    app.router.add_post("/api/tickets/{id}/resolve", resolve)
    app.router.add_post("/api/tickets/{id}/transfer", transfer)
    app.router.add_post("/api/tickets/{id}/close", close)
    app.router.add_post("/api/agents/me/presence", presence)
    app.router.add_get("/api/customers/{id}/timeline", timeline)
