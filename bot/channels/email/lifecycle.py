"""The email channel's life in the app: when `[email]` is configured, `EmailChannel` is registered and
`EmailReplies` polls for replies to send, from start-up to shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.app_keys import WEBCHAT
from bot.channels.email.outbound import EmailChannel
from bot.channels.email.replies import EmailReplies
from infra.app_keys import SESSIONS, SETTINGS
from router.web import CHANNELS

__all__ = ["EMAIL_REPLIES", "email_ctx"]

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
