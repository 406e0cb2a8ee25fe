"""The agent console: `/agent` (the page and its ES modules, `/agent/*.js`), `/api/console/mode`, and the
routes of `/agent/ws`. `/console/*.js` holds the helpers the agent console and the admin console
(`bot.http.admin`) share.

The socket: router/console_ws.py (authentication, snapshot on connect), router/console_socket.py (pushes
every ticket change and every message added to a conversation with an active ticket; typing both ways),
router/console_views.py (what a ticket looks like in the console).
"""

from __future__ import annotations

import weakref
from pathlib import Path

from aiohttp import web

from infra.app_keys import SETTINGS
from router.assets import add_assets, js_modules, page
from router.console_ws import CONSOLES, agent_ws, close_consoles

STATIC = Path(__file__).resolve().parent / "static"


async def agent_page(request: web.Request) -> web.Response:
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return page(request, STATIC / "agent.html", csp)


async def console_mode(request: web.Request) -> web.Response:
    """Public: whether the server runs in demo mode (both consoles then show a banner)."""
    demo = bool(request.app[SETTINGS].demo)
    return web.json_response({"demo": demo}, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app[CONSOLES] = weakref.WeakSet()
    app.on_shutdown.append(close_consoles)
    app.router.add_get("/agent", agent_page)
    add_scripts(app)
    app.router.add_get("/agent/ws", agent_ws)
    app.router.add_get("/api/console/mode", console_mode)


def add_scripts(app: web.Application) -> None:
    """The console's ES modules, and the helpers both consoles import (this one and bot's /admin)."""
    add_assets(app, *js_modules(STATIC / "agent", "/agent"), *js_modules(STATIC / "console", "/console"))
