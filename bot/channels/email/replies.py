"""The email channel: an agent's reply reaches a web chat customer who left an address and has left.

`EmailChannel` implements `router.channel.Channel`: `deliver(conversation_id, {"email", "lang", "link",
"ticket"}, frame)` sends the frame's text as a plain-text + HTML email over SMTP (`aiosmtplib`, settings in
`[email]`), with a signed link that reopens the same conversation in the widget. `EmailReplies` decides
when: every `email.poll_seconds` it looks for conversations whose customer left an address and whose chat
has been closed for `email.away_minutes`, and emails the agent replies stored since they left, once each
(the conversation's `emailed_seq` is advanced before sending; a failed send puts it back).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app_keys import WEBCHAT
from bot.channels.email_links import ReopenLinks
from bot.texts import lang_of, say
from config import EmailSettings, Settings
from infra.app_keys import SESSIONS, SETTINGS
from infra.db import utcnow
from router.models import ChannelIdentity, Conversation, Message, Ticket
from router.web import CHANNELS

if TYPE_CHECKING:
    from bot.channels.webchat import WebChatChannel

__all__ = ["EmailChannel", "EmailReplies", "email_ctx"]

log = logging.getLogger("kundresa.email")
QUOTE_STYLE = "border-left:3px solid #1f5f4a;margin:0;padding:0 12px"


class EmailChannel:
    """`Channel` over SMTP. Only agent replies (and notices) are worth an email; other frames are not."""

    name = "email"

    def __init__(self, settings: EmailSettings, link_hours: float) -> None:
        self.settings = settings
        self.link_hours = link_hours

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        to = str(address.get("email") or "")
        text = str(frame.get("text") or "").strip()
        if not to or not text or frame.get("type") not in ("agent_message", "notice"):
            return False
        message = self.compose(to, frame, address)
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username.get_secret_value() if s.username else None,
                password=s.password.get_secret_value() if s.password else None,
                use_tls=s.use_tls,
                start_tls=s.starttls if not s.use_tls else False,
                timeout=s.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("email to conversation %s failed: %s", conversation_id, exc)
            return False
        return True

    def compose(self, to: str, frame: dict[str, Any], address: dict[str, Any]) -> EmailMessage:
        lang = lang_of(address.get("lang"))
        agent = str(frame.get("agent") or "")
        link = str(address.get("link") or "")
        ticket = address.get("ticket") or ""
        text = str(frame.get("text") or "").strip()
        hours = f"{self.link_hours:g}"
        msg = EmailMessage()
        msg["Subject"] = say("email_subject", lang, ticket=ticket)
        msg["From"] = self.settings.from_address or f"kundresa@{self.settings.host}"
        msg["To"] = to
        msg["Message-ID"] = make_msgid(domain="kundresa")
        signed = say("email_agent", lang, agent=agent) if agent else ""
        lines = [say("email_intro", lang), "", text, ""]
        if signed:
            lines += [f"– {signed}", ""]
        if link:
            lines += [say("email_link", lang, hours=hours), link, ""]
        lines += ["--", say("email_footer", lang)]
        msg.set_content("\n".join(lines))
        paragraphs = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p.strip()
        )
        link_html = (
            f"<p>{html.escape(say('email_link', lang, hours=hours))}<br>"
            f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>'
            if link
            else ""
        )
        msg.add_alternative(
            f'<!doctype html><html lang="{lang}"><body>'
            f"<p>{html.escape(say('email_intro', lang))}</p>"
            f'<blockquote style="{QUOTE_STYLE}">{paragraphs}</blockquote>'
            + (f"<p>– {html.escape(signed)}</p>" if signed else "")
            + link_html
            + f'<p style="color:#666;font-size:12px">{html.escape(say("email_footer", lang))}</p>'
            "</body></html>",
            subtype="html",
        )
        return msg


class EmailReplies:
    """Emails agent replies to customers who left an address and have been away `away_minutes`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        channel: EmailChannel,
        webchat: WebChatChannel | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.channel = channel
        self.webchat = webchat
        self.links = ReopenLinks(settings)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="email-replies")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # the database away, say: the next round tries again
                log.warning("email replies: a sweep failed", exc_info=True)
            await asyncio.sleep(self.settings.email.poll_seconds)

    async def sweep(self) -> int:
        """One round: the emails sent."""
        cutoff = utcnow() - timedelta(minutes=self.settings.email.away_minutes)
        async with self.sessions() as session:
            away = list(
                await session.scalars(
                    select(Conversation)
                    .where(
                        Conversation.away_since.is_not(None),
                        Conversation.away_since <= cutoff,
                        Conversation.reply_email.is_not(None),
                    )
                    .limit(200)
                )
            )
        sent = 0
        for conv in away:
            if self.webchat is not None and self.webchat.online(conv.id):
                continue  # back in the chat (on this process): they read it there
            sent += await self._send_replies(conv)
        return sent

    async def _send_replies(self, conv: Conversation) -> int:
        assert conv.away_since is not None and conv.reply_email
        async with self.sessions() as session:
            replies = list(
                await session.scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conv.id,
                        Message.seq > conv.emailed_seq,
                        Message.kind == "agent_message",
                        Message.internal.is_(False),
                        Message.created_at >= conv.away_since,
                    )
                    .order_by(Message.seq)
                )
            )
            if not replies:
                return 0
            visitor = await session.scalar(
                select(ChannelIdentity.external_id)
                .where(ChannelIdentity.customer_id == conv.customer_id, ChannelIdentity.kind == "web_visitor")
                .order_by(ChannelIdentity.last_seen_at.desc())
                .limit(1)
            )
            ticket = await session.scalar(
                select(Ticket.id).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc()).limit(1)
            )
        upto = replies[-1].seq
        if not await self._advance(conv.id, conv.emailed_seq, upto):
            return 0  # another process took these
        frame = {
            "type": "agent_message",
            "text": "\n\n".join(m.text for m in replies),
            "agent": (replies[-1].payload or {}).get("agent") or "",
        }
        address = {
            "email": conv.reply_email,
            "lang": (conv.bot_state or {}).get("lang", "sv"),
            "link": self.links.link(conv.id, visitor) if visitor else "",
            "ticket": ticket or "",
        }
        if await self.channel.deliver(conv.id, address, frame):
            log.info(
                "emailed %d repl%s to conversation %s",
                len(replies),
                "y" if len(replies) == 1 else "ies",
                conv.id,
            )
            return 1
        await self._advance(conv.id, upto, conv.emailed_seq)  # not sent: the next round tries again
        return 0

    async def _advance(self, conversation_id: int, old: int, new: int) -> bool:
        """Move `emailed_seq` from `old` to `new` if nobody did meanwhile (one sender per reply)."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.emailed_seq == old)
                .values(emailed_seq=new)
            )
        return bool(getattr(result, "rowcount", 0))


EMAIL_REPLIES = web.AppKey("email_replies", EmailReplies)


async def email_ctx(app: web.Application) -> AsyncIterator[None]:
    """When `[email]` is configured: the email channel is registered and replies are watched for."""
    settings = app[SETTINGS]
    channel = EmailChannel(settings.email, settings.email.link_hours)
    app[CHANNELS].register(channel)
    replies = EmailReplies(app[SESSIONS], settings, channel, app[WEBCHAT])
    replies.start()
    app[EMAIL_REPLIES] = replies
    yield
    await replies.close()
