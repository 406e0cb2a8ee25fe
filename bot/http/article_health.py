"""`GET /api/articles/health` (admin): per article how often the bot showed it, "helped" / "didn't help"
and the handoffs after it: the articles from the knowledge base, their usage from router/article_usage.py."""

from __future__ import annotations

from aiohttp import web

from infra.app_keys import SESSIONS
from router.article_usage import article_health, article_usage
from router.web import KB, requires

__all__ = ["add_routes"]


@requires("admin")
async def health(request: web.Request) -> web.Response:
    """Per article: shown (bot answers carrying it), helped / not helped, handoffs after it."""
    articles = await request.app[KB].summaries()
    out = article_health(articles, await article_usage(request.app[SESSIONS]))
    return web.json_response({"articles": out, "count": len(out)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/articles/health", health)
