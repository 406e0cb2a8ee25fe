"""Shop events and proactive help in the app: the router's routes (`router.shop_events.http`), the insights
API (`router.insights`), the admin page's two scripts (`/admin/admin-rules.js`, `/admin/admin-insights.js`)
and the link from offers to the chat sockets (`bot.channels.chat_events.follow_shop_events`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.app_keys import BUS, WEBCHAT
from bot.channels.chat_events import follow_shop_events
from bot.http.admin import _file
from router import insights
from router.shop_events import http as shop_http

__all__ = ["add_routes"]


async def rules_script(request: web.Request) -> web.Response:
    return _file("admin-rules.js", "application/javascript")


async def insights_script(request: web.Request) -> web.Response:
    return _file("admin-insights.js", "application/javascript")


async def _follow(app: web.Application) -> AsyncIterator[None]:
    unfollow = follow_shop_events(app[BUS], app[WEBCHAT])
    yield
    unfollow()


def add_routes(app: web.Application) -> None:
    shop_http.add_routes(app)
    app.cleanup_ctx.append(_follow)
    insights.add_routes(app)
    app.router.add_get("/admin/admin-rules.js", rules_script)
    app.router.add_get("/admin/admin-insights.js", insights_script)
