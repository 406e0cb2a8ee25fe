"""Liveness and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web

from bot.app_keys import KB, METRICS


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "articles": len(request.app[KB].index)})


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=request.app[METRICS].render(), content_type="text/plain")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
