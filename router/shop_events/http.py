"""HTTP: `POST /api/events` (the shop's server, signed: `router.shop_events.signing`), the admin's proactive
rules (`GET/POST /api/proactive/rules`, `PUT/DELETE /api/proactive/rules/{key}`) and their outcomes
(`GET /api/proactive/outcomes?from=&to=`, also in `/api/stats`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aiohttp import web

from config import TooLargeError, ValidationError
from infra.app_keys import SESSIONS, SETTINGS
from router.analytics import date_range
from router.identity import Evidence
from router.masking import mask_value
from router.shop_events.catalog import parse_event
from router.shop_events.outcomes import rule_outcomes
from router.shop_events.rules import delete_rule, effective_rules, parse_rule, save_rule
from router.shop_events.service import ShopEvents
from router.shop_events.signing import verify_event
from router.web import KB, ROUTER, error_response, read_object, requires, user_of

__all__ = ["SHOP_EVENTS", "add_routes", "page_context"]

SHOP_EVENTS = web.AppKey("shop_events", ShopEvents)
CONTEXT_KEYS = ("step", "order_id", "amount", "currency")  # as the chat widget's page context


def page_context(raw: Any) -> dict[str, Any]:
    """The page-context keys of `raw` (scalars only, strings cut at 200), masked."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for key in CONTEXT_KEYS:
        value = raw.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[key] = value[:200] if isinstance(value, str) else value
    return dict(mask_value(out))


def _identity(body: dict[str, Any]) -> tuple[list[Evidence], str | None]:
    evidence: list[Evidence] = []
    user, visitor, email = body.get("user"), body.get("visitor"), body.get("email")
    for name, value in (("user", user), ("visitor", visitor), ("email", email)):
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 320):
            raise ValidationError(f"'{name}' must be a non-empty string", code="invalid_event")
    if user:
        evidence.append(Evidence("web_user", user, True))
    if visitor:
        evidence.append(Evidence("web_visitor", visitor, False))
    if not evidence:
        raise ValidationError("name the customer: 'user' (your user id) or 'visitor'", code="invalid_event")
    # The shop signed the whole request, so its email is as good as a signed one (with a user id).
    return evidence, (email.strip().lower() if email and user else None)


async def post_event(request: web.Request) -> web.Response:
    """A signed event from the shop's server: 401 unless signed, fresh and new."""
    settings = request.app[SETTINGS]
    secret = settings.proactive.events_secret
    if secret is None or not secret.get_secret_value():
        return error_response(503, "not_configured", "set proactive.events_secret to accept shop events")
    limit = settings.server.max_body_bytes
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise TooLargeError(f"request body over {limit} bytes")
    signature = verify_event(
        request.headers, raw, secret.get_secret_value(), settings.proactive.signature_tolerance_seconds
    )
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("request body is not valid JSON", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    event = parse_event(
        body.get("name"),
        body.get("data"),
        reason=body.get("reason"),
        max_bytes=settings.proactive.max_data_bytes,
    )
    evidence, email = _identity(body)
    lang = body.get("lang") if isinstance(body.get("lang"), str) and len(body["lang"]) <= 8 else None
    recorded = await request.app[SHOP_EVENTS].record(
        event,
        source="server",
        evidence=evidence,
        email=email,
        context=page_context(body.get("context")),
        signature=signature,
        lang=lang,
    )
    data = {"event": recorded.event, "customer_id": recorded.customer_id, "offer": recorded.offer}
    return web.json_response(data, status=201)


@requires("admin")
async def list_rules(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session:
        rules = await effective_rules(session, request.app[SETTINGS])
    return web.json_response({"rules": rules, "count": len(rules)})


async def _save(request: web.Request, key: str, body: dict[str, Any]) -> web.Response:
    spec = parse_rule(key, body)
    async with request.app[SESSIONS]() as session, session.begin():
        new = await save_rule(session, spec, user_of(request).name)
    return web.json_response({**spec.model_dump(), "source": "admin"}, status=201 if new else 200)


@requires("admin")
async def create_rule(request: web.Request) -> web.Response:
    body = await read_object(request)
    key = body.get("key")
    if not isinstance(key, str):
        raise ValidationError("'key' is required: a-z, 0-9, _ and -", code="invalid_rule")
    return await _save(request, key, body)


@requires("admin")
async def put_rule(request: web.Request) -> web.Response:
    return await _save(request, request.match_info["key"], await read_object(request))


@requires("admin")
async def remove_rule(request: web.Request) -> web.Response:
    async with request.app[SESSIONS]() as session, session.begin():
        await delete_rule(session, request.match_info["key"])
    return web.json_response({"deleted": request.match_info["key"]})


async def outcomes_between(request: web.Request) -> dict[str, Any]:
    start, end = date_range(request.query)
    lo = datetime.combine(start, time(0), tzinfo=UTC)
    async with request.app[SESSIONS]() as session:
        rows = await rule_outcomes(
            session,
            lo,
            lo + timedelta(days=(end - start).days + 1),
            request.app[SETTINGS].proactive.outcome_minutes,
        )
    return {"from": start.isoformat(), "to": end.isoformat(), "rules": rows}


@requires("admin")
async def outcomes(request: web.Request) -> web.Response:
    return web.json_response(await outcomes_between(request))


async def _service(app: web.Application) -> AsyncIterator[None]:
    app[SHOP_EVENTS] = ShopEvents(app[ROUTER], app[KB])
    yield


def add_routes(app: web.Application) -> None:
    app.cleanup_ctx.append(_service)  # after the router's: the app factory adds this after it
    app.router.add_post("/api/events", post_event)
    app.router.add_get("/api/proactive/rules", list_rules)
    app.router.add_post("/api/proactive/rules", create_rule)
    app.router.add_put("/api/proactive/rules/{key}", put_rule)
    app.router.add_delete("/api/proactive/rules/{key}", remove_rule)
    app.router.add_get("/api/proactive/outcomes", outcomes)
