"""The admin console: `GET /admin` (the page, strict CSP), its scripts (versioned, `router.assets`) and
`GET /api/admin/config` (who is logged in, the tag → team map of `[routing.teams]`, the default team).

The console is ES modules (`bot/static/admin/*.js`, `/admin/*.js`) importing the helpers it shares with
the agent console (`/console/*.js`) and the widget's own Markdown renderer and message CSS
(`bot/static/markdown/`, `/markdown/*.js`), so the live preview renders exactly as customers will see
it. The rest of the console's API: `bot.http.articles` (CRUD, example questions), `article_import`,
`article_export` and `article_health`, whose routes `add_routes` here adds too.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.http import article_export, article_health, article_import
from infra.app_keys import SETTINGS
from router.assets import add_assets, js_modules, page
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
    # the console (its views: articles, …, proactive rules, insights, audit) and the renderer it shares
    add_assets(app, *js_modules(STATIC / "admin", "/admin"), *js_modules(STATIC / "markdown", "/markdown"))
    app.router.add_get("/api/admin/config", admin_config)
    article_import.add_routes(app)
    article_export.add_routes(app)
    article_health.add_routes(app)
