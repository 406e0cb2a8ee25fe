"""Liveness (`/healthz`), readiness (`/readyz`) and Prometheus metrics (`/metrics`); all open, as SPEC.md
says for `/healthz` and `/metrics` (a load balancer's probe and a scraper carry no token).

- `/healthz`: 200 while the process serves HTTP, with the state of the model worker and the database
  (cheap: the model's state is read, not called; the database gets one `SELECT 1`, bounded in time).
- `/readyz`: the same checks; 503 while the model or the database is down or the process is draining
  (SIGTERM), so a load balancer sends chat traffic elsewhere. A model worker found dead is restarted in
  the background by either check: a process that is not ready gets no questions, so no question would.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.app_keys import EMBEDDER, METRICS
from bot.app_metrics import refresh
from bot.metrics import CONTENT_TYPE
from infra.app_keys import ENGINE
from router.web import KB

__all__ = ["add_routes", "checks"]

DATABASE_SECONDS = (
    0.8  # under a probe's usual 1 s timeout: a hung database reads as down, not as a dead process
)
RETRY_AFTER_SECONDS = 5
DRAINING: web.AppKey[Callable[[], bool]] = web.AppKey("health_draining")


async def database_check(app: web.Application) -> dict[str, Any]:
    engine = app.get(ENGINE)
    if engine is None:
        return {"status": "down", "error": "not started"}
    began = time.perf_counter()
    try:
        async with asyncio.timeout(DATABASE_SECONDS), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return {"status": "down", "error": "timeout"}
    except Exception as exc:  # whatever it is, the database cannot answer: say which kind, no details
        return {"status": "down", "error": exc.__class__.__name__}
    return {"status": "up", "ms": round((time.perf_counter() - began) * 1000, 1)}


def model_check(app: web.Application) -> dict[str, Any]:
    embedder = app.get(EMBEDDER)
    if embedder is None:
        return {"status": "down", "error": "not started"}
    health = embedder.health()
    if health["status"] != "up" or "down" in health["workers"]:
        embedder.revive()
    return health


async def checks(app: web.Application) -> dict[str, Any]:
    draining = app.get(DRAINING)
    model, database = model_check(app), await database_check(app)
    leaving = bool(draining()) if draining is not None else False
    ready = model["status"] == "up" and database["status"] == "up" and not leaving
    return {"ready": ready, "model": model, "database": database, "draining": leaving}


async def healthz(request: web.Request) -> web.Response:
    kb = request.app.get(KB)
    body = {"status": "ok", "articles": len(kb.index) if kb is not None else 0, **await checks(request.app)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def readyz(request: web.Request) -> web.Response:
    result = await checks(request.app)
    if result["ready"]:
        return web.json_response({"status": "ready", **result}, headers={"Cache-Control": "no-store"})
    down = [name for name in ("model", "database") if result[name]["status"] != "up"]
    if result["draining"]:
        down.append("draining (shutting down)")
    body = {
        "error": {"code": "not_ready", "message": "not ready: " + ", ".join(down)},
        "status": "not_ready",
        **result,
    }
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    return web.json_response(body, status=503, headers=headers)


async def metrics(request: web.Request) -> web.Response:
    await refresh(request.app)
    resp = web.Response(body=request.app[METRICS].render(), headers={"Cache-Control": "no-store"})
    resp.headers["Content-Type"] = CONTENT_TYPE
    return resp


def add_routes(app: web.Application, draining: Callable[[], bool] | None = None) -> None:
    """`draining`: whether the process is shutting down (bot/drain.py), which makes it not ready."""
    if draining is not None:
        app[DRAINING] = draining
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
