"""`TicketDesk`: handoff tickets from opening to resolve, mixed into `Router` (same state, one object)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import NotFoundError, Settings, ValidationError
from knowledge import KnowledgeBase
from knowledge.db import utcnow
from router import conversations as convs
from router import tickets as tk
from router.assignment import assign, dispatch
from router.events import EventBus
from router.models import Conversation, Customer, Feedback, Ticket, User


class TicketDesk:
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    bus: EventBus

    def lock(self, conversation_id: int) -> asyncio.Lock:  # pragma: no cover - provided by Router
        raise NotImplementedError

    async def send(
        self,
        conversation_id: int,
        frame: dict[str, Any],
        *,
        author_kind: str = "bot",
        author_id: int | None = None,
        text: str = "",
        internal: bool = False,
        bot_state: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover - provided by Router

    # -- handoff -------------------------------------------------------------------------------------
    async def handoff(
        self,
        conversation_id: int,
        *,
        reason: str,
        question: str | None,
        attempts: list[dict[str, Any]],
        tags: list[list[str]],
    ) -> tuple[Ticket, bool]:
        """Open a ticket (or reopen one resolved within the window); the bot goes quiet. (ticket, new?)"""
        routing = self.settings.routing
        async with self.lock(conversation_id), self.sessions() as session, session.begin():
            conv = await convs.lock(session, conversation_id)
            ticket = await tk.open_ticket_for(session, conversation_id)
            new = False
            if ticket is None:
                ticket = await tk.reopenable_ticket(session, conversation_id, routing)
                if ticket is not None:
                    tk.move(ticket, "assigned" if ticket.assignee_id else "open")
                else:
                    await tk.close_stale(session, conversation_id, routing)
            if ticket is None:
                customer = await session.get(Customer, conv.customer_id)
                assert customer is not None
                ticket = Ticket(
                    conversation_id=conversation_id,
                    customer_id=conv.customer_id,
                    status="open",
                    priority=tk.priority_for(customer, conv.context or {}),
                    team=tk.team_for(tags, routing),
                    reason=reason,
                    question=question,
                    bot_attempts=attempts,
                    context=dict(conv.context or {}),
                    external_refs={},
                )
                session.add(ticket)
                new = True
            elif question and not ticket.question:
                ticket.question = question
            conv.owner = "agent"
            await session.flush()
            await dispatch(session, routing)
        await self.bus.publish("tickets", {"event": "opened" if new else "reopened", "ticket_id": ticket.id})
        return ticket, new

    async def queue_position(self, ticket: Ticket) -> int:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Ticket.id).where(
                    Ticket.status == "open",
                    Ticket.team == ticket.team,
                    (Ticket.priority > ticket.priority)
                    | ((Ticket.priority == ticket.priority) & (Ticket.id < ticket.id)),
                )
            )
            return len(list(rows)) + 1

    # -- feedback ------------------------------------------------------------------------------------
    async def record_feedback(self, conversation_id: int, slug: str | None, helpful: bool) -> None:
        async with self.sessions() as session, session.begin():
            session.add(Feedback(conversation_id=conversation_id, article_slug=slug, helpful=helpful))

    async def record_csat(self, conversation_id: int, score: int) -> int | None:
        """Store CSAT on the conversation's latest resolved ticket; its id, or None if none waits."""
        async with self.sessions() as session, session.begin():
            ticket = await session.scalar(
                select(Ticket)
                .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(("resolved", "closed")))
                .order_by(Ticket.id.desc())
                .limit(1)
            )
            if ticket is None:
                return None
            ticket.csat = score
            return ticket.id

    async def close_ticket(self, ticket_id: int) -> dict[str, Any]:
        """`resolved` → `closed`: the customer can no longer reopen it by writing again."""
        async with self.sessions() as session, session.begin():
            ticket = await tk.get(session, ticket_id)
            tk.move(ticket, "closed")
            conv = await session.get(Conversation, ticket.conversation_id)
            if conv is not None and conv.owner == "agent":
                conv.owner = "bot"
            data = tk.ticket_json(ticket)
            await dispatch(session, self.settings.routing)
        await self.bus.publish("tickets", {"event": "closed", "ticket_id": ticket_id})
        return data

    async def claim_ticket(self, ticket_id: int, user_id: int) -> tuple[dict[str, Any], bool]:
        """Take a ticket, as `POST /api/tickets/{id}/claim`: (ticket, claimed?). A ticket another agent
        holds stays theirs; the `claimed` event is published only when this agent got it."""
        async with self.sessions() as session, session.begin():
            ticket = await tk.get(session, ticket_id)
            agent = await session.get(User, user_id)
            if agent is None:
                raise NotFoundError(f"no user {user_id}")
            if ticket.assignee_id not in (None, user_id) and ticket.status in tk.OPEN_STATUSES:
                return tk.ticket_json(ticket), False
            assign(ticket, agent)
            data, name = tk.ticket_json(ticket), agent.name
        await self.bus.publish("tickets", {"event": "claimed", "ticket_id": ticket_id, "agent": name})
        return data, True

    async def agent_message(
        self, ticket_id: int, user_id: int, text: str, *, internal: bool = False
    ) -> dict[str, Any]:
        """An agent's reply (or internal note), as `POST /api/tickets/{id}/messages`; the stored frame."""
        text = text.strip()
        if not text:
            raise ValidationError("'text' is required")
        if len(text) > 10_000:
            raise ValidationError("'text' is over 10000 characters")
        async with self.sessions() as session, session.begin():
            ticket = await tk.get(session, ticket_id)
            agent = await session.get(User, user_id)
            if agent is None:
                raise NotFoundError(f"no user {user_id}")
            if ticket.status == "closed":
                raise ValidationError("this ticket is closed", code="conflict")
            if not internal:
                if ticket.assignee_id is None:
                    assign(ticket, agent)
                if ticket.first_response_at is None:
                    ticket.first_response_at = utcnow()
                if ticket.status == "assigned":
                    tk.move(ticket, "waiting_customer")
            conv_id, name = ticket.conversation_id, agent.name
        frame = {"type": "note" if internal else "agent_message", "text": text, "agent": name}
        stored = await self.send(conv_id, frame, author_kind="agent", author_id=user_id, internal=internal)
        await self.bus.publish("tickets", {"event": "message", "ticket_id": ticket_id})
        return stored

    async def resolve_ticket(
        self, ticket_id: int, user_id: int, *, article: str | None = None, kb: KnowledgeBase | None = None
    ) -> dict[str, Any]:
        """Close a handoff, as `POST /api/tickets/{id}/resolve`: naming an article (with `kb`, the
        `KnowledgeBase`) teaches the bot the question; the customer is asked for a rating."""
        if article and kb is not None:
            await kb.get(article)  # unknown article: NotFoundError before anything changes
        async with self.sessions() as session, session.begin():
            ticket = await tk.get(session, ticket_id)
            tk.move(ticket, "resolved")
            ticket.resolved_article_slug = article or None
            if ticket.assignee_id is None:
                ticket.assignee_id = user_id
            conv = await session.get(Conversation, ticket.conversation_id)
            if conv is not None:
                conv.owner = "bot"
                conv.bot_state = {"lang": (conv.bot_state or {}).get("lang", "sv")}
            question, conv_id, data = ticket.question, ticket.conversation_id, tk.ticket_json(ticket)
            await dispatch(session, self.settings.routing)
            agent = await session.get(User, user_id)
            name = agent.name if agent is not None else None
        learned = False
        if article and question and kb is not None:
            learned = await kb.add_question(article, question, source="resolved_ticket", author=name)
        await self.send(conv_id, {"type": "csat_request", "ticket": data["id"]})
        await self.bus.publish("tickets", {"event": "resolved", "ticket_id": data["id"]})
        data["learned_question"] = question if learned else None
        return data
