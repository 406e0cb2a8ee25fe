"""A ticket as the agents' channel shows it: the post of `agents.py` (the customer, the
page context, what the bot tried, the whole cross-channel timeline) with its Claim and Resolve buttons;
`read_view` reads what it shows in one session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.slack.text import button, escape, section
from config import Settings
from router import tickets as tk
from router.api import timeline_of  # the same cross-channel timeline as the HTTP API
from router.models import ChannelIdentity, Conversation, Customer, Ticket, User

__all__ = ["TicketView", "clip", "describe", "read_view", "timeline_lines"]

LABELS = {"customer": "Customer", "bot": "Bot", "system": "System"}


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(m: dict[str, Any]) -> str:
    """One timeline entry as agents read it."""
    payload, kind, text = m.get("payload") or {}, m.get("kind"), str(m.get("text") or "")
    if kind == "answer":
        text = f"answered with “{(payload.get('article') or {}).get('title', '')}”"
    elif kind == "clarify":
        text = "asked which one: " + " / ".join(str(o.get("title")) for o in payload.get("options") or [])
    elif kind == "handoff":
        text = "handed over to a person"
    elif kind == "csat_request":
        text = "asked for a rating"
    elif kind == "note":
        text = f"📝 (internal) {text}"
    return clip(" ".join(text.split()), 400)


def timeline_lines(timeline: list[dict[str, Any]]) -> list[str]:
    lines = []
    for m in timeline:
        author = m.get("author") or ""
        who = (m.get("payload") or {}).get("agent") if author == "agent" else None
        label = who or LABELS.get(author, author.title())
        stamp = str(m.get("created_at") or "")[11:16]
        lines.append(f"`{stamp}` [{m.get('channel')}] *{escape(str(label))}*: {escape(describe(m))}")
    return lines


class TicketView:
    """What the ticket post shows, read in one session."""

    def __init__(self, ticket: Ticket, customer: Customer | None, emails: list[str]) -> None:
        self.data = tk.ticket_json(ticket)
        self.refs: dict[str, Any] = dict((ticket.external_refs or {}).get("slack") or {})
        self.name = (customer.name if customer else None) or "Customer"
        self.email = (customer.email if customer else None) or (emails[0] if emails else None)
        self.vip = bool(customer and customer.vip)
        self.channel_now: str | None = None
        self.assignee: str | None = None
        self.timeline: list[dict[str, Any]] = []
        self.last_seq = 0
        self.shop_events: list[str] = []  # the latest shop events' lines (payment_failed, …), newest last

    def blocks(self) -> tuple[str, list[dict[str, Any]], list[str]]:
        """(fallback text, blocks, timeline lines that did not fit in the post)."""
        d = self.data
        who = f"{self.name} <{self.email}>" if self.email else self.name
        header = f"Ticket #{d['id']} · {who}{' · VIP' if self.vip else ''}"
        summary = [
            f"*Question:* {escape(clip(d['question'] or '(none)', 600))}",
            f"*Reason:* {d['reason']} · *Priority:* {d['priority']} · *Team:* {escape(d['team'])}"
            f" · *Now on:* {self.channel_now or 'unknown'}",
        ]
        context = " · ".join(f"{k}: {v}" for k, v in (d["context"] or {}).items())
        if context:
            summary.append(f"*Page context:* {escape(context)}")
        for line in self.shop_events:
            summary.append(f":warning: {escape(line)}")
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": header[:150]}},
            section("\n".join(summary)),
        ]
        attempts = d["bot_attempts"] or []
        if attempts:
            tried = [
                f"{i}. {escape(str(a.get('title')))} (`{a.get('slug')}`, score {a.get('score')})"
                for i, a in enumerate(attempts, 1)
            ]
            blocks.append(section("*The bot tried:*\n" + "\n".join(tried)))
        lines = timeline_lines(self.timeline)
        shown: list[str] = []
        for line in reversed(lines):  # the latest part fits; the whole timeline follows in the thread
            if sum(len(x) + 1 for x in shown) + len(line) > 2700:
                break
            shown.insert(0, line)
        rest = lines[: len(lines) - len(shown)]
        note = f"_{len(rest)} earlier messages are in the thread._\n" if rest else ""
        blocks.append(section(f"*Timeline* (all channels):\n{note}" + "\n".join(shown)))
        status = d["status"]
        state = {
            "open": "Waiting for an agent",
            "assigned": f"Claimed by {self.assignee}",
            "waiting_customer": f"{self.assignee} answered; waiting for the customer",
            "resolved": f"Resolved by {self.assignee}"
            + (f" with `{d['resolved_article']}`" if d["resolved_article"] else ""),
            "closed": "Closed",
        }.get(status, status)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(state)}]})
        buttons = []
        if status == "open":
            buttons.append(button("Claim", "kundresa_claim", str(d["id"]), "primary"))
        if status in tk.OPEN_STATUSES:
            buttons.append(button("Resolve", "kundresa_resolve", str(d["id"])))
        if buttons:
            blocks.append({"type": "actions", "block_id": f"kundresa_ticket_{d['id']}", "elements": buttons})
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Reply in this thread to answer the customer; start with `//` for an "
                        "internal note. `/kundresa resolve [article-slug]` closes it.",
                    }
                ],
            }
        )
        text = f"{header}: {d['question'] or ''}\n" + "\n".join(shown)
        return text[:3900], blocks, rest


async def read_view(session: AsyncSession, ticket_id: int, settings: Settings) -> TicketView | None:
    """What the post of ticket `ticket_id` shows; None when there is no such ticket."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    customer = await session.get(Customer, ticket.customer_id)
    emails = list(
        await session.scalars(
            select(ChannelIdentity.external_id).where(
                ChannelIdentity.customer_id == ticket.customer_id,
                ChannelIdentity.kind == "email",
                ChannelIdentity.verified.is_(True),
            )
        )
    )
    view = TicketView(ticket, customer, emails)
    conv = await session.get(Conversation, ticket.conversation_id)
    view.channel_now = conv.last_channel if conv else None
    if ticket.assignee_id is not None:
        agent = await session.get(User, ticket.assignee_id)
        view.assignee = agent.name if agent else None
    view.assignee = view.assignee or "an agent"
    view.timeline = await timeline_of(session, ticket.customer_id, settings)
    view.shop_events = [m["text"] for m in view.timeline if m.get("kind") == "event"][-3:]
    view.last_seq = max(
        (m["seq"] for m in view.timeline if m["conversation_id"] == ticket.conversation_id), default=0
    )
    return view
