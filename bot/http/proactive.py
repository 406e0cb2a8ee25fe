"""Shop events and proactive help in the app: the router's routes (`router.shop_events.http`), the insights
API (`router.insights`) and the link from offers to the chat sockets
(`bot.channels.webchat.shop_events.follow_shop_events`). The admin console's two views of them
(`bot/static/admin/rules.js`, `insights.js`) are served with the console (`bot.http.admin`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.app_keys import WEBCHAT
from bot.channels.webchat import follow_shop_events
from router import insights
from router.shop_events import http as shop_http
from router.web import BUS

__all__ = ["add_routes"]


async def _follow(app: web.Application) -> AsyncIterator[None]:
    unfollow = follow_shop_events(app[BUS], app[WEBCHAT])
    yield
    unfollow()


def add_routes(app: web.Application) -> None:
    shop_http.add_routes(app)
    app.cleanup_ctx.append(_follow)
    insights.add_routes(app)
