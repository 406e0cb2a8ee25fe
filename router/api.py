"""Agent API: the handoff queue, claim, reply, transfer (and the teams to transfer to), resolve, presence,
customer timelines with their earlier contacts; canned replies (`router.canned`).

Handlers read; every change goes through `Router.tickets` (`router.ticket_service`), which answers a
conflict (a ticket another agent holds, a move the lifecycle forbids) with ConflictError: HTTP 409.
"""

from __future__ import annotations

import heapq
from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import NotFoundError, ValidationError
from infra.app_keys import SESSIONS, SETTINGS
from router import canned
from router import tickets as tk
from router.assignment import loads_of
from router.conversations import message_json
from router.history import customer_history, display_name
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket, User
from router.shop_events.store import events_for_timeline
from router.web import KB, ROUTER, path_id, read_object, requires, user_of


def _ticket_id(request: web.Request) -> int:
    return path_id(request, "ticket")


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
    """Close the handoff; naming an article teaches the bot the question that led here.

    The console also sends `"picked_for"`: the ticket the agent picked the article on. It must be this
    one (else 400 `article_not_for_ticket`, nothing changes): a choice left over from another ticket
    must never become this ticket's example question."""
    body = await read_object(request) if request.can_read_body else {}
    slug = body.get("article")
    if slug is not None and (not isinstance(slug, str) or not slug):
        raise ValidationError("'article' must be an article slug")
    ticket_id = _ticket_id(request)
    if "picked_for" in body:
        picked_for = body["picked_for"]
        if slug is None:
            raise ValidationError("'picked_for' goes with 'article'")
        if picked_for != ticket_id or isinstance(picked_for, bool):
            raise ValidationError(
                f"the article was picked on ticket {str(picked_for)[:20]}, not on ticket {ticket_id}:"
                " pick it again on this ticket",
                code="article_not_for_ticket",
            )
    data = await request.app[ROUTER].tickets.resolve(
        ticket_id, user_of(request).id, article=slug, kb=request.app[KB]
    )
    return web.json_response(data)


@requires("agent")
async def close(request: web.Request) -> web.Response:
    return web.json_response(await request.app[ROUTER].tickets.close(_ticket_id(request)))


@requires("agent")
async def transfer(request: web.Request) -> web.Response:
    """`{"team": T}` (one of `GET /api/teams`): into that team's queue; `{"team": T, "agent": ID}`: to
    that agent of the team. Unknown team: 400 `unknown_team`."""
    body = await read_object(request)
    team, agent = body.get("team"), body.get("agent")
    if not isinstance(team, str):
        raise ValidationError("'team' is required")
    if agent is not None and (not isinstance(agent, int) or isinstance(agent, bool) or agent <= 0):
        raise ValidationError("'agent' must be a user id")
    data = await request.app[ROUTER].tickets.transfer(
        _ticket_id(request), team, agent_id=agent, by=user_of(request).id
    )
    return web.json_response(data)


@requires("agent")
async def teams(request: web.Request) -> web.Response:
    """The teams a ticket can be transferred to, each with its agents (and agents of no team)."""
    service = request.app[ROUTER].tickets
    async with request.app[SESSIONS]() as session:
        names = await service.known_teams(session)
        users = list(await session.scalars(select(User).order_by(User.name)))
        loads = await loads_of(session, [u.id for u in users])

    def agent(u: User) -> dict[str, Any]:
        return {
            "id": u.id,
            "name": u.name,
            "team": u.team,
            "presence": u.presence,
            "load": loads.get(u.id, 0),
        }

    items = [{"name": n, "agents": [agent(u) for u in users if u.team == n]} for n in names]
    return web.json_response({"teams": items, "teamless": [agent(u) for u in users if u.team is None]})


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
    customer_id = path_id(request, "customer")
    async with request.app[SESSIONS]() as session:
        customer = await session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError(f"no customer {customer_id}")
        idents = await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
        )
        data: dict[str, Any] = {
            "customer": {
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "vip": customer.vip,
                "display_name": await display_name(session, customer),
                "identities": [
                    {"kind": i.kind, "external_id": i.external_id, "verified": i.verified} for i in idents
                ],
            },
            "messages": await timeline_of(session, customer_id, request.app[SETTINGS]),
            "history": await customer_history(session, customer),
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
    app.router.add_get("/api/teams", teams)
    canned.add_routes(app)
