"""Slack for agents: every handoff is posted to the agents' channel; its thread is the ticket.

- On a `tickets` event `opened`, the ticket is posted with the customer's whole cross-channel timeline, the
  page context and what the bot tried, with Claim and Resolve buttons. The message's channel and ts are
  stored in `Ticket.external_refs["slack"]`; the message is updated when the ticket is claimed or resolved.
- A reply in the thread reaches the customer on the channel they use now; `//` at the start keeps it an
  internal note. Later customer messages (and console replies) are mirrored into the thread.
- `/kundresa claim`, `/kundresa resolve [article-slug]`, with an optional ticket id first
  (`/kundresa resolve 12 article-slug`); without one, the newest open ticket posted in that channel.
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.channels.slack.text import chunks, escape, to_plain
from bot.channels.slack.ticket_post import TicketView, describe, read_view
from bot.channels.slack.work import AGENTS_LANE
from config import ConflictError, KundresaError
from router import tickets as tk
from router.auth import create_user
from router.models import Ticket, User

if TYPE_CHECKING:
    from bot.channels.slack.lifecycle import SlackIntegration

log = logging.getLogger("kundresa.slack")

# Set while a Slack agent's reply is being sent, so it is not mirrored back into its own thread.
FROM_SLACK: contextvars.ContextVar[bool] = contextvars.ContextVar("kundresa_from_slack", default=False)
USAGE = (
    "`/kundresa claim` or `/kundresa resolve [article-slug]` in the agents' channel: they act on the newest "
    "open ticket posted there. Name another with its number: `/kundresa resolve 12 article-slug`."
)


class SlackAgents:
    def __init__(self, core: SlackIntegration) -> None:
        self.core = core
        self.channel = core.slack.agents_channel
        # Posts to the agents' channel go out one at a time, in the order their events happened: they are
        # stored work of one lane (`work.AGENTS_LANE`), done in order by whichever process is free.

    # -- reading -----------------------------------------------------------------------------------------
    async def view(self, ticket_id: int) -> TicketView | None:
        async with self.core.router.sessions() as session:
            return await read_view(session, ticket_id, self.core.settings)

    async def ticket_for_thread(self, channel: str, thread_ts: str) -> int | None:
        async with self.core.router.sessions() as session:
            return await session.scalar(
                select(Ticket.id)
                .where(
                    Ticket.external_refs[("slack", "ts")].as_string() == thread_ts,
                    Ticket.external_refs[("slack", "channel")].as_string() == channel,
                )
                .order_by(Ticket.id.desc())
                .limit(1)
            )

    async def latest_ticket(self, channel: str) -> int | None:
        async with self.core.router.sessions() as session:
            return await session.scalar(
                select(Ticket.id)
                .where(
                    Ticket.external_refs[("slack", "channel")].as_string() == channel,
                    Ticket.status.in_(tk.OPEN_STATUSES),
                )
                .order_by(Ticket.id.desc())
                .limit(1)
            )

    async def agent_for(self, slack_user_id: str) -> User:
        """The agent behind a Slack user. People in the agents' channel are agents: the first time one
        acts, a user is created for them (role agent, linked by `slack_user_id`, no usable token)."""
        async with self.core.router.sessions() as session:
            user = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
            if user is not None:
                return user
        info = await self.core.user(slack_user_id)
        name = (info.name if info else None) or slack_user_id
        try:
            async with self.core.router.sessions() as session, session.begin():
                if await session.scalar(select(User.id).where(User.name == name)) is not None:
                    name = f"{name} ({slack_user_id})"
                user, _ = await create_user(session, name, "agent")
                user.slack_user_id = slack_user_id
            log.info("created agent %r for Slack user %s", name, slack_user_id)
            return user
        except (ConflictError, IntegrityError):  # created at the same moment by another event
            async with self.core.router.sessions() as session:
                found = await session.scalar(select(User).where(User.slack_user_id == slack_user_id))
            if found is None:
                raise
            return found

    # -- the ticket post ---------------------------------------------------------------------------------
    async def on_tickets(self, data: dict[str, Any]) -> None:
        event, ticket_id = data.get("event"), data.get("ticket_id")
        if not isinstance(ticket_id, int):
            return
        if event in ("opened", "reopened"):
            await self.post_ticket(ticket_id)
        elif event in ("claimed", "resolved", "transferred", "message"):
            await self.update_post(ticket_id)

    async def post_ticket(self, ticket_id: int) -> None:
        view = await self.view(ticket_id)
        if view is None or not self.channel:
            return
        if view.refs.get("ts"):  # handed over again (or reopened after a resolve): the same thread
            await self.update_post(ticket_id)
            await self.core.work.call(
                "chat.postMessage",
                AGENTS_LANE,
                channel=view.refs["channel"],
                thread_ts=view.refs["ts"],
                text=f"🔁 The customer asked for a person again (#{ticket_id}, {view.data['status']}).",
            )
            return
        # The post is the one call made here (its ts is the ticket's thread); what follows it is stored
        # work, so a failure after the post never posts the ticket twice.
        text, blocks, rest = view.blocks()
        resp = await self.core.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
        channel, ts = str(resp["channel"]), str(resp["ts"])
        await self.save_refs(ticket_id, {"channel": channel, "ts": ts, "last_seq": view.last_seq})
        for part in chunks("*Earlier messages:*\n" + "\n".join(rest)) if rest else []:
            await self.core.work.call(
                "chat.postMessage", AGENTS_LANE, channel=channel, thread_ts=ts, text=part
            )

    async def save_refs(self, ticket_id: int, refs: dict[str, Any]) -> None:
        async with self.core.router.sessions() as session, session.begin():
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.external_refs = {**(ticket.external_refs or {}), "slack": refs}

    async def update_post(self, ticket_id: int) -> None:
        view = await self.view(ticket_id)
        if view is None or not view.refs.get("ts"):
            return
        text, blocks, _ = view.blocks()
        await self.core.client.chat_update(
            channel=view.refs["channel"], ts=view.refs["ts"], text=text, blocks=blocks
        )

    # -- mirroring the conversation into the thread ------------------------------------------------------
    @staticmethod
    def mirror_line(data: dict[str, Any]) -> str | None:
        """How a conversation event reads in the ticket's thread; None for what is not shown there."""
        author, frame = data.get("author"), data.get("frame") or {}
        if author == "customer":
            return f"*Customer*: {escape(str(data.get('text') or ''))}"
        if author == "agent" and frame.get("type") in ("agent_message", "note"):
            said = describe({"kind": frame["type"], "text": frame.get("text")})
            return f"*{escape(str(frame.get('agent')))}* (console): {escape(said)}"
        return None

    async def _open_ticket_refs(self, conv_id: int) -> dict[str, Any] | None:
        """The Slack refs of the conversation's open ticket ({} while not posted); None: no open ticket."""
        async with self.core.router.sessions() as session:
            ticket = await tk.open_ticket_for(session, conv_id)
            return dict((ticket.external_refs or {}).get("slack") or {}) if ticket else None

    async def mirrors(self, data: dict[str, Any]) -> bool:
        """Whether a conversation event is worth storing: it is shown, and its conversation has an open
        ticket. (Whose post may still be on its way: the stored event is done after the post, in order.)"""
        conv_id = data.get("conversation_id")
        if self.mirror_line(data) is None or not isinstance(conv_id, int):
            return False
        return await self._open_ticket_refs(conv_id) is not None

    async def thread_of(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """The Slack thread of the conversation's open ticket, when this event is newer than its post."""
        conv_id, seq = data.get("conversation_id"), int(data.get("seq") or 0)
        refs = await self._open_ticket_refs(conv_id) if isinstance(conv_id, int) else None
        if not refs or not refs.get("ts") or seq <= int(refs.get("last_seq") or 0):
            return None  # no thread, or the post already shows it
        return refs

    async def on_conversation(self, data: dict[str, Any]) -> None:
        line = self.mirror_line(data)
        refs = await self.thread_of(data) if line is not None else None
        if line is None or refs is None:
            return
        await self.core.client.chat_postMessage(channel=refs["channel"], thread_ts=refs["ts"], text=line)

    # -- agents acting in Slack --------------------------------------------------------------------------
    async def on_message(self, event: dict[str, Any]) -> None:
        """A message in the agents' channel: replies in a ticket's thread go to the customer."""
        subtype = event.get("subtype")
        if subtype in ("message_changed", "message_deleted"):
            log.info("ignoring an %s in the agents' channel: what was sent stays sent", subtype)
            return
        if subtype not in (None, "thread_broadcast", "file_share") or not event.get("user"):
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return  # agents talking among themselves
        ticket_id = await self.ticket_for_thread(str(event["channel"]), str(thread_ts))
        if ticket_id is None:
            return
        text = to_plain(str(event.get("text") or ""))
        internal = text.startswith("//")
        text = text[2:].strip() if internal else text
        if not text:
            return
        agent = await self.agent_for(str(event["user"]))
        token = FROM_SLACK.set(True)
        try:
            await self.core.router.tickets.reply(ticket_id, agent.id, text, internal=internal)
        except KundresaError as exc:
            await self.tell(event["channel"], event["user"], str(thread_ts), exc.message)
        finally:
            FROM_SLACK.reset(token)

    async def on_command(self, body: dict[str, Any]) -> None:
        words = str(body.get("text") or "").split()
        channel, user = str(body.get("channel_id") or ""), str(body.get("user_id") or "")
        sub = words.pop(0).lower() if words else "help"
        if channel != self.channel:
            await self.tell(channel, user, None, "Use `/kundresa` in the agents' channel. " + USAGE)
            return
        if sub not in ("claim", "resolve"):
            await self.tell(channel, user, None, USAGE)
            return
        ticket_id: int | None = None
        if words and words[0].lstrip("#").isdigit():
            ticket_id = int(words.pop(0).lstrip("#"))
        else:
            ticket_id = await self.latest_ticket(channel)
        if ticket_id is None:
            await self.tell(channel, user, None, "There is no open ticket posted here. " + USAGE)
            return
        await self.act(sub, ticket_id, user, channel, words[0] if words else None)

    async def on_button(self, body: dict[str, Any], kind: str) -> None:
        action = body["actions"][0]
        channel = str((body.get("container") or {}).get("channel_id") or "")
        if channel != self.channel:
            return  # ticket buttons live in the agents' channel; the people there are the agents
        try:
            ticket_id = int(str(action.get("value")))
        except ValueError:
            return
        await self.act(kind, ticket_id, str(body["user"]["id"]), channel, None)

    async def act(
        self, kind: str, ticket_id: int, slack_user: str, channel: str, article: str | None
    ) -> None:
        agent = await self.agent_for(slack_user)
        router = self.core.router
        try:
            if kind == "claim":
                data = await router.tickets.claim(ticket_id, agent.id)  # taken: ConflictError, told below
                note = f"{agent.name} claimed ticket #{ticket_id}."
            else:
                data = await router.tickets.resolve(ticket_id, agent.id, article=article, kb=self.core.kb)
                note = f"{agent.name} resolved ticket #{ticket_id}"
                if article:
                    note += f" with `{article}`"
                if data.get("learned_question"):
                    note += f"; the bot learned “{data['learned_question']}”"
                note += "."
        except KundresaError as exc:
            await self.tell(channel, slack_user, None, exc.message)
            return
        view = await self.view(ticket_id)
        if view is not None and view.refs.get("ts"):
            await self.core.work.call(
                "chat.postMessage",
                AGENTS_LANE,
                channel=view.refs["channel"],
                thread_ts=view.refs["ts"],
                text=escape(note),
            )

    async def tell(self, channel: str, user: str, thread_ts: str | None, text: str) -> None:
        """A message only this agent sees."""
        if not channel:
            return
        args: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            args["thread_ts"] = thread_ts
        await self.core.work.call("chat.postEphemeral", AGENTS_LANE, **args)
