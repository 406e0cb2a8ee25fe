"""Admin API: VIP flags, identity merges (list, undo) and users (list, create, change team/capacity).

`add_routes` also registers the analytics routes (`router.analytics`), so the app factory needs one line.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import or_, select

from config import NotFoundError, ValidationError
from infra.app_keys import SESSIONS
from infra.db import iso
from router import analytics, privacy_api
from router.assignment import loads_of
from router.auth import USERS_TOPIC, create_user, rotate_token
from router.models import ROLES, Customer, IdentityMerge, User
from router.privacy import audit
from router.web import BUS, ROUTER, path_id, read_object, requires, user_of

MAX_CAPACITY = 1000


async def _customer(session: Any, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    return customer


def merge_json(record: IdentityMerge) -> dict[str, Any]:
    return {
        "id": record.id,
        "source_customer_id": record.source_customer_id,
        "target_customer_id": record.target_customer_id,
        "evidence": record.evidence,
        "moved": record.moved,
        "created_at": iso(record.created_at),
        "undone_at": iso(record.undone_at),
    }


def user_json(user: User, load: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "team": user.team,
        "capacity": user.capacity,
        "presence": user.presence,
        "last_assigned_at": iso(user.last_assigned_at),
        "created_at": iso(user.created_at),
    }
    if load is not None:
        data["active_tickets"] = load
    return data


# -- customers ------------------------------------------------------------------------------------------
@requires("admin")
async def set_vip(request: web.Request) -> web.Response:
    """Set or clear the VIP flag; the customer's queued and active tickets are re-prioritised."""
    customer_id = path_id(request, "customer")
    body = await read_object(request)
    vip = body.get("vip")
    if not isinstance(vip, bool):
        raise ValidationError("'vip' must be true or false")
    result = await request.app[ROUTER].tickets.set_vip(customer_id, vip)
    who = audit.by(user_of(request))
    await audit.log(request.app[SESSIONS], who, "customer.vip", "customer", customer_id, {"vip": vip})
    return web.json_response(result)


@requires("admin")
async def list_merges(request: web.Request) -> web.Response:
    """Merges this customer took part in (as source or target), newest first."""
    customer_id = path_id(request, "customer")
    async with request.app[SESSIONS]() as session:
        await _customer(session, customer_id)
        rows = await session.scalars(
            select(IdentityMerge)
            .where(
                or_(
                    IdentityMerge.source_customer_id == customer_id,
                    IdentityMerge.target_customer_id == customer_id,
                )
            )
            .order_by(IdentityMerge.id.desc())
        )
        items = [merge_json(r) for r in rows]
    return web.json_response({"merges": items, "count": len(items)})


@requires("admin")
async def undo(request: web.Request) -> web.Response:
    record = await request.app[ROUTER].undo_merge(path_id(request, "merge"))
    details = {"source": record.source_customer_id, "target": record.target_customer_id}
    who = audit.by(user_of(request))
    await audit.log(request.app[SESSIONS], who, "merge.undo", "merge", record.id, details)
    return web.json_response(merge_json(record))


# -- users ----------------------------------------------------------------------------------------------
def _team(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > 100:
        raise ValidationError("'team' must be a team name (at most 100 characters) or null")
    return value.strip() or None


def _capacity(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CAPACITY:
        raise ValidationError(f"'capacity' must be a whole number from 0 to {MAX_CAPACITY}, or null")
    return value


@requires("admin")
async def list_users(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        loads = await loads_of(session)
        rows = await session.scalars(select(User).order_by(User.id))
        items = [user_json(u, loads.get(u.id, 0)) for u in rows]
    return web.json_response({"users": items, "count": len(items)})


@requires("admin")
async def add_user(request: web.Request) -> web.Response:
    """Create an agent or admin; the API token is in this answer only (only its hash is stored)."""
    body = await read_object(request)
    name, role = body.get("name"), body.get("role", "agent")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 200:
        raise ValidationError("'name' is required (at most 200 characters)")
    if role not in ROLES:
        raise ValidationError(f"'role' must be one of {', '.join(ROLES)}")
    team, capacity = _team(body.get("team")), _capacity(body.get("capacity"))
    async with request.app[SESSIONS]() as session, session.begin():
        user, token = await create_user(session, name, role, team=team, capacity=capacity)
        data = {**user_json(user, 0), "token": token}
        audit.add(session, audit.by(user_of(request)), "user.create", "user", user.id, {"role": role})
    return web.json_response(data, status=201)


@requires("admin")
async def patch_user(request: web.Request) -> web.Response:
    """Change an agent's team and/or capacity; a freed-up agent gets queued tickets at once."""
    user_id = path_id(request, "user")
    body = await read_object(request)
    unknown = set(body) - {"team", "capacity"}
    if unknown:
        raise ValidationError(f"only 'team' and 'capacity' can be changed, not {', '.join(sorted(unknown))}")
    async with request.app[SESSIONS]() as session, session.begin():
        user = await session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        if "team" in body:
            user.team = _team(body["team"])
        if "capacity" in body:
            user.capacity = _capacity(body["capacity"])
        changed = {"changed": sorted(body)}
        audit.add(session, audit.by(user_of(request)), "user.update", "user", user_id, changed)
    await request.app[ROUTER].tickets.dispatch()  # committed first: dispatch locks agents in id order
    async with request.app[SESSIONS]() as session:
        user = await session.get(User, user_id)
        if user is None:  # deleted by another request since the change above
            raise NotFoundError(f"no user {user_id}")
        data = user_json(user, (await loads_of(session, [user_id])).get(user_id, 0))
    return web.json_response(data)


@requires("admin")
async def rotate_user_token(request: web.Request) -> web.Response:
    """A new API token for a user (a lost laptop, a leaked token, someone leaving): the old token stops
    working at once, and the user's open agent consoles are closed (4401 `token_revoked`) in every process.
    The new token is in this answer only."""
    user_id = path_id(request, "user")
    async with request.app[SESSIONS]() as session, session.begin():
        user = await session.get(User, user_id)
        if user is None:
            raise NotFoundError(f"no user {user_id}")
        token = rotate_token(user)
        data = {**user_json(user, 0), "token": token}
        audit.add(session, audit.by(user_of(request)), "user.token_rotate", "user", user_id, {})
    await request.app[BUS].publish(USERS_TOPIC, {"user_id": user_id, "event": "token_rotated"})
    return web.json_response(data)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/customers/{id}/vip", set_vip)
    app.router.add_get("/api/customers/{id}/merges", list_merges)
    app.router.add_post("/api/merges/{id}/undo", undo)
    app.router.add_get("/api/users", list_users)
    app.router.add_post("/api/users", add_user)
    app.router.add_patch("/api/users/{id}", patch_user)
    app.router.add_post("/api/users/{id}/token", rotate_user_token)
    analytics.add_routes(app)
    privacy_api.add_routes(app)  # export, erasure, audit log, retention task (issue 17)
