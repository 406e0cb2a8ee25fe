"""The admin console: `GET /admin` (the page, strict CSP), its scripts (versioned, `router.assets`) and
`GET /api/admin/config` (who is logged in, the tag → team map of `[routing.teams]`, the default team).

`markdown.js` is the safe Markdown renderer the widget uses too, so the live preview renders exactly as
customers will see it. The rest of the console's API: `bot.http.articles` (CRUD, example questions),
`article_import`, `article_export` and `article_health`, whose routes `add_routes` here adds too.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.http import article_export, article_health, article_import
from infra.app_keys import SETTINGS
from router.assets import Asset, add_assets, page
from router.web import requires, user_of

__all__ = ["add_routes"]

STATIC = Path(__file__).resolve().parent.parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


# -- pages ----------------------------------------------------------------------------------------------
async def admin_page(request: web.Request) -> web.Response:
    return page(request, STATIC / "admin.html", CSP)


async def admin_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.path.rstrip("/") or "/")


# -- config ---------------------------------------------------------------------------------------------
@requires("admin")
async def admin_config(request: web.Request) -> web.Response:
    user = user_of(request)
    routing = request.app[SETTINGS].routing
    return web.json_response(
        {
            "user": {"name": user.name, "role": user.role},
            "teams": dict(routing.teams),
            "default_team": routing.default_team,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page)
    app.router.add_get("/admin/", admin_slash)
    js = "application/javascript"
    add_assets(
        app,
        Asset(STATIC / "admin.js", "/admin/admin.js", js),
        Asset(STATIC / "markdown.js", "/admin/markdown.js", js),
        Asset(STATIC / "admin-audit.js", "/admin/admin-audit.js", js),  # the Audit view (issue 17)
    )
    app.router.add_get("/api/admin/config", admin_config)
    article_import.add_routes(app)
    article_export.add_routes(app)
    article_health.add_routes(app)
