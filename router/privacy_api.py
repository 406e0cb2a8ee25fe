"""HTTP routes for personal data (admin only), and the retention task of the app:

- `GET /api/customers/{id}/export`: the customer's data as one JSON document (router/privacy/export.py);
- `GET /api/customers/lookup?email=…` or `?user_id=…`: the customer with that verified email or user id;
- `DELETE /api/customers/{id}`: erase them; body (optional) `{"keep_as": {"<example id>": "rewritten"},
  "dry_run": true}`; answers what was removed, counts only;
- `GET /api/audit`: the audit log, newest first; filters `action` (`customer.` for a family), `actor`,
  `target_kind`, `target_id`, `since`, `until`; pages with `limit` (≤ 200) and `before` (`next_before`);
- `GET /api/retention`: the `[retention]` settings and what a run would remove now, per kind.

Every export and erasure is written to the audit log. The access log drops query strings
(router/privacy/logs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from config import ValidationError
from infra.app_keys import ENGINE, SESSIONS, SETTINGS
from router.privacy import audit
from router.privacy.erase import erase_customer
from router.privacy.export import export_customer
from router.privacy.logs import drop_query_strings
from router.privacy.retention import anything_to_do, retention_task, run_retention
from router.privacy.subject import find_customer_id
from router.web import CHANNELS, KB, path_id, read_json, requires, user_of

RETENTION_TASK = web.AppKey("retention_task", asyncio.Task[None])


def prefixes_of(app: web.Application) -> list[str]:
    """The embedding model's prefixes: the keys under which it cached a customer's texts."""
    kb = app.get(KB)
    if kb is None:
        return [""]
    p = kb.embedder.prefixes
    return sorted({"", p.query, p.passage})


@requires("admin")
async def export(request: web.Request) -> web.Response:
    customer_id = path_id(request, "customer")
    async with request.app[SESSIONS]() as session:
        customer_id = await find_customer_id(session, customer_id=customer_id)
        data = await export_customer(session, customer_id)
    counts = {k: v for k, v in data["counts"].items()}
    await audit.log(
        request.app[SESSIONS], audit.by(user_of(request)), "customer.export", "customer", customer_id, counts
    )
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return web.Response(
        text=body,
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="kundresa-customer-{customer_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@requires("admin")
async def lookup(request: web.Request) -> web.Response:
    email, user_id = request.query.get("email"), request.query.get("user_id")
    if not (email or user_id) or (email and user_id):
        raise ValidationError("give 'email' or 'user_id'")
    async with request.app[SESSIONS]() as session:
        customer_id = await find_customer_id(session, email=email or None, user_id=user_id or None)
    return web.json_response({"customer_id": customer_id})


def _keep_as(body: dict[str, Any]) -> dict[int, Any]:
    raw = body.get("keep_as") or {}
    if not isinstance(raw, dict):
        raise ValidationError("'keep_as' must map example question ids to rewritten texts")
    out: dict[int, Any] = {}
    for key, value in raw.items():
        try:
            out[int(key)] = value
        except (TypeError, ValueError) as exc:
            raise ValidationError("'keep_as' keys must be example question ids") from exc
    return out


@requires("admin")
async def erase(request: web.Request) -> web.Response:
    customer_id = path_id(request, "customer")
    body: Any = {}
    if request.can_read_body:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ValidationError("request body must be a JSON object")
    dry_run = body.get("dry_run", request.query.get("dry_run") in ("1", "true"))
    if not isinstance(dry_run, bool):
        raise ValidationError("'dry_run' must be true or false")
    app = request.app
    # The knowledge base's door: learned examples leave this index and every other process's on commit.
    report = await erase_customer(
        app[KB].writes,
        customer_id,
        actor=audit.by(user_of(request)),
        keep_as=_keep_as(body),
        prefixes=prefixes_of(app),
        channels=app.get(CHANNELS),
        dry_run=dry_run,
    )
    return web.json_response(report)


def _when(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(
            f"'{name}' must be a date (2024-05-31) or a timestamp", code="invalid_date"
        ) from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _int(raw: str | None, name: str, default: int | None, lo: int, hi: int) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationError(f"'{name}' must be a number") from exc
    if not lo <= value <= hi:
        raise ValidationError(f"'{name}' must be between {lo} and {hi}")
    return value


@requires("admin")
async def audit_log(request: web.Request) -> web.Response:
    q = request.query
    limit = _int(q.get("limit"), "limit", 50, 1, audit.MAX_PAGE) or 50
    before = _int(q.get("before"), "before", None, 1, 2**63 - 1)
    async with request.app[SESSIONS]() as session:
        items, next_before = await audit.entries(
            session,
            action=q.get("action") or None,
            actor=q.get("actor") or None,
            target_kind=q.get("target_kind") or None,
            target_id=q.get("target_id") or None,
            since=_when(q.get("since"), "since"),
            until=_when(q.get("until"), "until"),
            before=before,
            limit=limit,
        )
    return web.json_response({"entries": items, "count": len(items), "next_before": next_before})


@requires("admin")
async def retention_preview(request: web.Request) -> web.Response:
    """What `[retention]` says and what a run would remove now (`kundresa retention run --dry-run`)."""
    settings = request.app[SETTINGS].retention
    due = await run_retention(request.app[SESSIONS], settings, dry_run=True)
    return web.json_response({"settings": settings.model_dump(), "due": due})


async def _privacy_ctx(app: web.Application) -> AsyncIterator[None]:
    """No query strings in the access log; the retention task, when `[retention]` limits anything."""
    drop_query_strings()
    settings = app[SETTINGS].retention
    if anything_to_do(settings):
        app[RETENTION_TASK] = asyncio.get_running_loop().create_task(
            retention_task(app[ENGINE], app[SESSIONS], settings, prefixes_of(app)), name="kundresa-retention"
        )
    yield
    task = app.get(RETENTION_TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/customers/lookup", lookup)
    app.router.add_get("/api/customers/{id}/export", export)
    app.router.add_delete("/api/customers/{id}", erase)
    app.router.add_get("/api/audit", audit_log)
    app.router.add_get("/api/retention", retention_preview)
    app.cleanup_ctx.append(_privacy_ctx)  # after the database, knowledge and router contexts
