"""`GET /api/search?q=…`: what the bot would do, the same as `kundresa kb search --json`."""

from __future__ import annotations

from aiohttp import web

from config import ValidationError
from router.web import KB, requires


@requires("agent")
async def search(request: web.Request) -> web.Response:
    q = request.query.get("q", "").strip()
    if not q:
        raise ValidationError("query parameter 'q' is required")
    if len(q) > 2000:
        raise ValidationError("the question is over 2000 characters")
    drafts = request.query.get("drafts") in ("1", "true")
    result = await request.app[KB].search(q, lang=request.query.get("lang") or None, include_drafts=drafts)
    return web.json_response(result.to_json())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/search", search)
