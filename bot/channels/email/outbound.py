"""The email channel's way out: `EmailChannel`, the `router.channel.Channel` over SMTP.

`deliver(conversation_id, {"email", "lang", "link", "ticket"}, frame)` sends the frame's text as a
plain-text + HTML email (`aiosmtplib`, settings in `[email]`), with the signed link that reopens the same
conversation in the widget. Only agent replies (and notices) are worth an email.
"""

from __future__ import annotations

import html
import logging
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib

from bot.texts import lang_of, say
from config import EmailSettings

__all__ = ["EmailChannel"]

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
