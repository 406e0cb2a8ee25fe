"""`TicketService`: the one owner of every ticket transition and of the conversation owner changes that go
with them. HTTP handlers, Slack and the dialogue call it; none of them writes a ticket itself.

| transition | from | lock taken (besides the row it changes) |
|---|---|---|
| open / reopen (`handoff`) | - / resolved | the conversation (as a message write does) |
| claim, assign on first reply | queued (own: no change) | the ticket, then the agent |
| transfer | open, assigned, waiting_customer | the ticket (then the agent it goes to) |
| waiting (`reply`) / back (`customer_wrote`) | assigned / waiting_customer | the ticket / the conversation |
| resolve, close | active (close: also resolved) | the conversation, then the ticket |
| dispatch (after each of the above) | open | every online agent, then queued tickets (SKIP LOCKED) |

Locks are always taken in the order customer → conversation → ticket → agents (merges: customers, then
conversations), so two processes never wait on each other in a cycle.
A move the lifecycle does not allow, or a ticket another agent holds, is a `ConflictError` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, RoutingSettings, Settings, ValidationError
from infra.db import utcnow
from knowledge import KnowledgeBase
from router import conversations as convs
from router import tickets as tk
from router.assignment import assign, dispatch, lock_agent
from router.conversations import ConversationLocks
from router.events import EventBus
from router.handoff import Announce, open_or_reopen
from router.message_store import MessageWrite
from router.models import Ticket, User
from router.outgoing import Outgoing, Sender, store_outgoing

__all__ = ["MAX_REPLY_CHARS", "TicketService"]

MAX_REPLY_CHARS = 10_000
# Gap questions of a conversation settled by resolving its ticket with an article: those asked from this
# long before the ticket opened (the questions that led to the handoff), not older unrelated ones.
GAP_MARGIN = timedelta(hours=1)


class TicketService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        bus: EventBus,
        locks: ConversationLocks,
        sender: Sender,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.bus = bus
        self.locks = locks
        self.sender = sender

    @property
    def routing(self) -> RoutingSettings:
        return self.settings.routing

    # -- open, reopen --------------------------------------------------------------------------------
    async def handoff(
        self,
        conversation_id: int,
        *,
        reason: str,
        question: str | None,
        attempts: list[dict[str, Any]],
        tags: list[list[str]],
        announce: Announce | None = None,
    ) -> tuple[Ticket, bool, dict[str, Any] | None]:
        """Open a ticket (or reopen one resolved within the window); the bot goes quiet. `announce`: the
        frame that tells the customer, stored in the same transaction. (ticket, new?, the stored frame)"""
        out: Outgoing | None = None
        async with self.locks(conversation_id), self.sessions() as session, session.begin():
            conv = await convs.lock(session, conversation_id)
            ticket, new = await open_or_reopen(
                session, conv, self.settings, reason=reason, question=question, attempts=attempts, tags=tags
            )
            await session.flush()
            await tk.sync_owner(session, conv, active=True)  # the ticket it (re)opened: no need to read
            assigned = await dispatch(session, self.routing)
            if announce is not None:
                frame, also = await announce(session, ticket, new)
                await session.flush()  # the owner change, before the frame's seq is taken beside it
                write = MessageWrite(session=session)
                out = await store_outgoing(write, conversation_id, frame)
                if also is not None:
                    await also(write)
        await self.bus.publish("tickets", {"event": "opened" if new else "reopened", "ticket_id": ticket.id})
        await self._publish_assigned(assigned, skip=ticket.id)
        if out is not None:
            await self.sender.deliver_stored(out)
        return ticket, new, out.frame if out is not None else None

    async def queue_position(self, ticket: Ticket) -> int:
        async with self.sessions() as session:
            return await tk.queue_position(session, ticket)

    async def customer_wrote(self, session: AsyncSession, conversation_id: int) -> None:
        """In the transaction storing a customer message (the conversation row is locked): a ticket
        waiting for the customer is the agent's turn again. One conditional UPDATE, no read."""
        await session.execute(
            update(Ticket)
            .where(Ticket.conversation_id == conversation_id, Ticket.status == "waiting_customer")
            .values(status="assigned")
        )

    # -- agents taking and answering -----------------------------------------------------------------
    async def claim(self, ticket_id: int, user_id: int) -> dict[str, Any]:
        """Take a ticket, as `POST /api/tickets/{id}/claim`. Claiming one's own ticket again changes
        nothing; a ticket another agent holds, or one no longer active, is a ConflictError (409)."""
        async with self.sessions() as session, session.begin():
            ticket = await tk.lock(session, ticket_id)
            agent = await lock_agent(session, user_id)
            if ticket.status not in tk.OPEN_STATUSES:
                raise ConflictError(
                    f"ticket {ticket_id} is {ticket.status}; only an active ticket can be claimed"
                )
            if ticket.assignee_id == user_id:
                return tk.ticket_json(ticket)
            if ticket.assignee_id is not None:
                holder = await session.get(User, ticket.assignee_id)
                who = holder.name if holder is not None else f"agent {ticket.assignee_id}"
                raise ConflictError(
                    f"ticket {ticket_id} is assigned to {who} already; ask them or transfer it",
                    code="already_assigned",
                )
            assign(ticket, agent)
            data, name = tk.ticket_json(ticket), agent.name
        await self.bus.publish("tickets", {"event": "claimed", "ticket_id": ticket_id, "agent": name})
        return data

    async def reply(
        self, ticket_id: int, user_id: int, text: str, *, internal: bool = False
    ) -> dict[str, Any]:
        """An agent's reply (or internal note), as `POST /api/tickets/{id}/messages`; the stored frame.
        A reply to a queued ticket claims it; any reply makes it the customer's turn (`waiting_customer`)."""
        text = text.strip()
        if not text:
            raise ValidationError("'text' is required")
        if len(text) > MAX_REPLY_CHARS:
            raise ValidationError(f"'text' is over {MAX_REPLY_CHARS} characters")
        async with self.sessions() as session, session.begin():
            ticket = await tk.lock(session, ticket_id)
            agent = await lock_agent(session, user_id)
            if ticket.status == "closed":
                raise ConflictError(f"ticket {ticket_id} is closed")
            if not internal:
                if ticket.assignee_id is None:
                    assign(ticket, agent)
                if ticket.first_response_at is None:
                    ticket.first_response_at = utcnow()
                if ticket.status == "assigned":
                    tk.move(ticket, "waiting_customer")
            conv_id, name = ticket.conversation_id, agent.name
        frame = {"type": "note" if internal else "agent_message", "text": text, "agent": name}
        stored = await self.sender.send(
            conv_id, frame, author_kind="agent", author_id=user_id, internal=internal
        )
        await self.bus.publish("tickets", {"event": "message", "ticket_id": ticket_id})
        return stored

    async def known_teams(self, session: AsyncSession) -> list[str]:
        """The teams a ticket can move to: `[routing.teams]`, the default team and the agents' teams."""
        names = {*self.routing.teams.values(), self.routing.default_team}
        names.update(t for t in await session.scalars(select(User.team).distinct()) if t)
        return sorted(names)

    async def transfer(
        self, ticket_id: int, team: str, *, agent_id: int | None = None, by: int | None = None
    ) -> dict[str, Any]:
        """Move a ticket to `team` (one of `known_teams`; else a 400 `unknown_team`): to `agent_id` of that
        team (or of none), assigned; else unassigned in the team's queue and dispatched like any queued
        ticket — never straight back to `by`, the agent who gave it away."""
        team = team.strip()
        if not team:
            raise ValidationError("'team' is required")
        async with self.sessions() as session, session.begin():
            ticket = await tk.lock(session, ticket_id)
            if ticket.status not in tk.OPEN_STATUSES:
                raise ConflictError(f"ticket {ticket_id} is {ticket.status}; only an active ticket can move")
            if team not in await self.known_teams(session):
                raise ValidationError(
                    f"no team {team!r}: pick one of the configured teams", code="unknown_team"
                )
            target = await lock_agent(session, agent_id) if agent_id is not None else None
            if target is not None and target.team not in (None, team):
                raise ValidationError(
                    f"{target.name} is in team {target.team}, not {team}", code="agent_not_in_team"
                )
            ticket.team, ticket.assignee_id = team, None
            if target is not None:
                assign(ticket, target)
            else:
                ticket.transferred_from_id = by
                if ticket.status != "open":
                    tk.move(ticket, "open")
            await session.flush()
            assigned = await dispatch(session, self.routing)
            data = tk.ticket_json(ticket)
        await self.bus.publish("tickets", {"event": "transferred", "ticket_id": ticket_id})
        await self._publish_assigned(assigned, skip=ticket_id)
        return data

    # -- ending ----------------------------------------------------------------------------------------
    async def resolve(
        self, ticket_id: int, user_id: int, *, article: str | None = None, kb: KnowledgeBase | None = None
    ) -> dict[str, Any]:
        """Close a handoff, as `POST /api/tickets/{id}/resolve`: naming an article (with `kb`, the
        `KnowledgeBase`) teaches the bot the question; the customer is asked for a rating."""
        if article and kb is not None:
            await kb.get(article)  # unknown article: NotFoundError before anything changes
        async with tk.in_conversation(self.sessions, self.locks, ticket_id) as (session, ticket, conv):
            tk.move(ticket, "resolved")
            ticket.resolved_article_slug = article or None
            if ticket.assignee_id is None:
                ticket.assignee_id = user_id
            await session.flush()
            await tk.sync_owner(session, conv)
            question, conv_id, data = ticket.question, ticket.conversation_id, tk.ticket_json(ticket)
            opened = ticket.created_at
            assigned = await dispatch(session, self.routing)
            agent = await session.get(User, user_id)
            name = agent.name if agent is not None else None
        learned = False
        if article and question and kb is not None:
            learned = await kb.add_question(article, question, source="resolved_ticket", author=name)
        if article and kb is not None:  # the gap report stops listing what this answered
            await kb.settle_gaps(conv_id, article, since=opened - GAP_MARGIN)
        await self.sender.send(conv_id, {"type": "csat_request", "ticket": ticket_id})
        await self.bus.publish("tickets", {"event": "resolved", "ticket_id": ticket_id})
        await self._publish_assigned(assigned)
        data["learned_question"] = question if learned else None
        return data

    async def close(self, ticket_id: int) -> dict[str, Any]:
        """To `closed`, for good: the customer can no longer reopen it by writing again."""
        async with tk.in_conversation(self.sessions, self.locks, ticket_id) as (session, ticket, conv):
            tk.move(ticket, "closed")
            await session.flush()
            await tk.sync_owner(session, conv)
            data = tk.ticket_json(ticket)
            assigned = await dispatch(session, self.routing)
        await self.bus.publish("tickets", {"event": "closed", "ticket_id": ticket_id})
        await self._publish_assigned(assigned)
        return data

    async def record_csat(self, conversation_id: int, score: int) -> tuple[int, int, bool] | None:
        """Store CSAT on the conversation's latest resolved ticket: (ticket id, its score, whether it was
        rated before — then the stored score stands and `score` is ignored), or None if none waits."""
        async with self.sessions() as session, session.begin():
            return await tk.rate(session, conversation_id, score)

    # -- the queue's inputs: priorities and agents ---------------------------------------------------
    async def set_vip(self, customer_id: int, vip: bool) -> dict[str, Any]:
        """Set or clear a customer's VIP flag; their active tickets are re-prioritised (and dispatched)."""
        async with self.sessions() as session, session.begin():
            changed = await tk.reprioritise(session, customer_id, vip)
            await session.flush()
            assigned = await dispatch(session, self.routing) if changed else []
        auto = {ticket_id for ticket_id, _agent in assigned}
        for ticket_id in changed:
            if ticket_id not in auto:
                await self.bus.publish("tickets", {"event": "updated", "ticket_id": ticket_id})
        await self._publish_assigned(assigned)
        return {"id": customer_id, "vip": vip, "reprioritised_tickets": changed}

    async def set_presence(self, user_id: int, presence: str) -> list[int]:
        """An agent goes online (and gets queued tickets at once) or away; the tickets assigned."""
        if presence not in ("online", "away"):
            raise ValidationError("'presence' must be 'online' or 'away'")
        # Committed before dispatching: dispatch locks every online agent in id order, and holding this
        # agent's row first would break that order (two agents going online at once could deadlock).
        async with self.sessions() as session, session.begin():
            await lock_agent(session, user_id)
            await session.execute(update(User).where(User.id == user_id).values(presence=presence))
        # Customers waiting in the queue are told the new wait (web chat `status` frames).
        await self.bus.publish("agents", {"event": "presence", "agent_id": user_id, "presence": presence})
        return [t for t, _ in await self.dispatch()] if presence == "online" else []

    async def dispatch(self) -> list[tuple[int, int]]:
        """Hand queued tickets to free agents (after an agent's capacity or team changed)."""
        async with self.sessions() as session, session.begin():
            assigned = await dispatch(session, self.routing)
        await self._publish_assigned(assigned)
        return assigned

    # -- helpers ---------------------------------------------------------------------------------------
    async def _publish_assigned(self, assigned: Iterable[tuple[int, int]], skip: int | None = None) -> None:
        for ticket_id, agent_id in assigned:
            if ticket_id != skip:
                await self.bus.publish(
                    "tickets", {"event": "assigned", "ticket_id": ticket_id, "agent_id": agent_id}
                )
