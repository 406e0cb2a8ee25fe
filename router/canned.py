"""Canned replies: saved snippets (a title and a body) agents insert with `/` in the console's reply box.

`GET /api/canned?q=` (agent: every snippet, or those whose title or body holds every word of `q`, titles
first), `POST /api/canned` (agent), `PUT` and `DELETE /api/canned/{id}` (the agent who saved it, or an
admin). Unlike articles these are never shown to the bot: they are the team's own phrasing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import NotFoundError, PermissionDeniedError, ValidationError
from infra.app_keys import SESSIONS
from infra.db import utcnow
from router.auth import ROLE_RANK
from router.models import CannedReply, User
from router.web import path_id, read_object, requires, user_of

__all__ = ["MAX_BODY", "MAX_TITLE", "add_routes", "canned_json"]

MAX_TITLE = 200
MAX_BODY = 10_000  # an agent's reply may be this long (router.ticket_service.MAX_REPLY_CHARS)
MAX_LIST = 200


def canned_json(row: CannedReply, author: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "created_by": author,
        "created_by_id": row.created_by_id,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def _fields(body: dict[str, Any]) -> tuple[str, str]:
    title, text = body.get("title"), body.get("body")
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > MAX_TITLE:
        raise ValidationError(f"'title' is required (at most {MAX_TITLE} characters)", code="invalid_canned")
    if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_BODY:
        raise ValidationError(f"'body' is required (at most {MAX_BODY} characters)", code="invalid_canned")
    return title.strip(), text.strip()


def _id(request: web.Request) -> int:
    return path_id(request, "canned reply")


async def _owned(session: Any, request: web.Request) -> CannedReply:
    """The snippet, if this user may change it (its author, or an admin); 404 / 403 otherwise."""
    row = await session.get(CannedReply, _id(request))
    if row is None:
        raise NotFoundError(f"no canned reply {request.match_info['id']}")
    user = user_of(request)
    if row.created_by_id != user.id and ROLE_RANK.get(user.role, 0) < ROLE_RANK["admin"]:
        raise PermissionDeniedError("only its author or an admin can change a canned reply")
    return row


def _matches(row: CannedReply, words: list[str]) -> bool:
    hay = f"{row.title}\n{row.body}".casefold()
    return all(w in hay for w in words)


@requires("agent")
async def list_canned(request: web.Request) -> web.Response:
    q = request.query.get("q", "").strip()
    if len(q) > 200:
        raise ValidationError("'q' is over 200 characters")
    words = q.casefold().split()
    async with request.app[SESSIONS]() as session:
        rows = list(await session.scalars(select(CannedReply).order_by(CannedReply.title, CannedReply.id)))
        names: dict[int | None, str] = dict((await session.execute(select(User.id, User.name))).all())
    found = [r for r in rows if _matches(r, words)]
    # Title matches first: "/retur" should find the snippet called "Retur" before one that mentions it.
    found.sort(key=lambda r: not all(w in r.title.casefold() for w in words))
    items = [canned_json(r, names.get(r.created_by_id)) for r in found[:MAX_LIST]]
    return web.json_response({"canned": items, "count": len(items)})


@requires("agent")
async def add_canned(request: web.Request) -> web.Response:
    title, body = _fields(await read_object(request))
    user = user_of(request)
    async with request.app[SESSIONS]() as session, session.begin():
        row = CannedReply(title=title, body=body, created_by_id=user.id)
        session.add(row)
        await session.flush()
        data = canned_json(row, user.name)
    return web.json_response(data, status=201)


@requires("agent")
async def put_canned(request: web.Request) -> web.Response:
    title, body = _fields(await read_object(request))
    async with request.app[SESSIONS]() as session, session.begin():
        row = await _owned(session, request)
        row.title, row.body, row.updated_at = title, body, utcnow()
        author = await session.get(User, row.created_by_id) if row.created_by_id else None
        data = canned_json(row, author.name if author else None)
    return web.json_response(data)


@requires("agent")
async def delete_canned(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session, session.begin():
        row = await _owned(session, request)
        await session.delete(row)
    return web.json_response({"deleted": _id(request)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/canned", list_canned)
    app.router.add_post("/api/canned", add_canned)
    app.router.add_put("/api/canned/{id}", put_canned)
    app.router.add_delete("/api/canned/{id}", delete_canned)
