"""The authorization matrix: every route the real app registers × {no token, bad token, agent, admin}.

The routes come from the app's own router, so a new route that is missing from `EXPECTED` fails the test:
whoever adds it decides who may call it. Requests name rows that do not exist (id 999999, slug
`no-such-article`) and send `{}` as the body: a role that passes the check gets the route's own 4xx
(400, 404) instead of 401 / 403, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from config import Settings
from infra.app_keys import SESSIONS
from router.auth import create_user

NONE, BAD, AGENT, ADMIN = "none", "bad", "agent", "admin"
WHO = (NONE, BAD, AGENT, ADMIN)
PUBLIC_200 = (200, 200, 200, 200)


def agent(status: int) -> tuple[int, int, int, int]:
    """An agent route (admins rank above agents): 401 without a valid token, else the route's answer."""
    return (401, 401, status, status)


def admin(status: int) -> tuple[int, int, int, int]:
    """An admin route: 401 without a valid token, 403 for an agent, else the route's answer."""
    return (401, 401, 403, status)


# (method, path template) → statuses for (no token, bad token, agent token, admin token). HEAD is GET's.
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int]] = {
    # Public: pages and scripts (their APIs are guarded), health, the customer's chat socket.
    ("GET", "/widget.js"): PUBLIC_200,
    ("GET", "/demo/checkout"): PUBLIC_200,
    ("GET", "/demo/api"): PUBLIC_200,
    ("GET", "/healthz"): PUBLIC_200,
    ("GET", "/readyz"): PUBLIC_200,
    ("GET", "/favicon.ico"): PUBLIC_200,
    ("GET", "/favicon.svg"): PUBLIC_200,
    ("GET", "/api/console/mode"): PUBLIC_200,
    ("GET", "/metrics"): PUBLIC_200,
    ("GET", "/agent"): PUBLIC_200,
    ("GET", "/admin"): PUBLIC_200,
    ("GET", "/admin/"): (302, 302, 302, 302),
    ("POST", "/api/events"): (401, 401, 401, 401),  # the shop's HMAC signature, whatever the bearer token
    ("GET", "/ws/chat"): (400, 400, 400, 400),  # customers are not bearer users; no upgrade: 400
    ("GET", "/agent/ws"): agent(400),  # the token is checked before the upgrade
    ("POST", "/slack/events"): (401, 401, 401, 401),  # Slack's signature, whatever the bearer token
    # Agents (and admins).
    ("GET", "/api/articles"): agent(200),
    ("GET", "/api/articles/{slug}"): agent(404),
    ("GET", "/api/search"): agent(400),  # no q
    ("GET", "/api/tickets"): agent(200),
    ("GET", "/api/tickets/{id}"): agent(404),
    ("POST", "/api/tickets/{id}/claim"): agent(404),
    ("POST", "/api/tickets/{id}/messages"): agent(400),  # {} has no text
    ("POST", "/api/tickets/{id}/resolve"): agent(404),
    ("POST", "/api/tickets/{id}/transfer"): agent(400),  # {} has no team
    ("POST", "/api/tickets/{id}/close"): agent(404),
    ("POST", "/api/agents/me/presence"): agent(400),
    ("GET", "/api/customers/{id}/timeline"): agent(404),
    ("GET", "/api/teams"): agent(200),
    ("GET", "/api/canned"): agent(200),
    ("POST", "/api/canned"): agent(400),  # {} has no title
    ("PUT", "/api/canned/{id}"): agent(400),  # {} has no title (checked before the row)
    ("DELETE", "/api/canned/{id}"): agent(404),
    # Admins only.
    ("POST", "/api/articles"): admin(400),
    ("PUT", "/api/articles/{slug}"): admin(400),
    ("DELETE", "/api/articles/{slug}"): admin(404),
    ("GET", "/api/articles/{slug}/versions"): admin(404),
    ("POST", "/api/articles/{slug}/versions/{version}/restore"): admin(404),
    ("POST", "/api/articles/{slug}/questions"): admin(400),
    ("DELETE", "/api/articles/{slug}/questions"): admin(400),
    ("POST", "/api/articles/import"): admin(400),  # no ?format=
    ("GET", "/api/articles/export"): admin(200),
    ("GET", "/api/articles/health"): admin(200),
    ("GET", "/api/admin/config"): admin(200),
    ("POST", "/api/customers/{id}/vip"): admin(400),  # {} has no vip
    ("GET", "/api/customers/{id}/merges"): admin(404),
    ("POST", "/api/merges/{id}/undo"): admin(404),
    ("GET", "/api/users"): admin(200),
    ("POST", "/api/users"): admin(400),
    ("PATCH", "/api/users/{id}"): admin(404),
    ("POST", "/api/users/{id}/token"): admin(404),
    ("GET", "/api/stats"): admin(200),
    ("GET", "/api/gaps"): admin(200),
    ("POST", "/api/gaps/handled"): admin(400),
    ("GET", "/api/insights"): admin(200),
    ("GET", "/api/proactive/outcomes"): admin(200),
    ("GET", "/api/proactive/rules"): admin(200),
    ("POST", "/api/proactive/rules"): admin(400),
    ("PUT", "/api/proactive/rules/{key}"): admin(400),
    ("DELETE", "/api/proactive/rules/{key}"): admin(404),
    ("GET", "/api/customers/{id}/export"): admin(404),
    ("GET", "/api/customers/lookup"): admin(400),  # neither email nor user_id
    ("DELETE", "/api/customers/{id}"): admin(404),
    ("GET", "/api/audit"): admin(200),
    ("GET", "/api/retention"): admin(200),
}

# The consoles' ES modules are public like their pages: one route per file of these folders
# (`router.assets.js_modules`), so a new module needs no row of its own.
ROOT = Path(__file__).resolve().parents[1]
MODULE_FOLDERS = {
    "/admin": "bot/static/admin",
    "/markdown": "bot/static/markdown",
    "/agent": "router/static/agent",
    "/console": "router/static/console",
}
EXPECTED.update(
    {
        ("GET", f"{route}/{path.name}"): PUBLIC_200
        for route, folder in MODULE_FOLDERS.items()
        for path in (ROOT / folder).glob("*.js")
    }
)


def routes_of(client: TestClient) -> list[tuple[str, str]]:
    found = set()
    for route in client.app.router.routes():
        if route.resource is None:
            continue
        method = "GET" if route.method == "HEAD" else route.method
        found.add((method, route.resource.canonical))
    return sorted(found)


def url_of(template: str) -> str:
    values = {"{id}": "999999", "{version}": "1", "{slug}": "no-such-article", "{key}": "no-such-rule"}
    for name, value in values.items():
        template = template.replace(name, value)
    return template


async def test_every_route_answers_each_kind_of_caller_as_the_table_says(
    aiohttp_client: Any, settings: Settings, make_settings: Callable[..., Settings]
) -> None:
    # Slack on (HTTP mode), so that /slack/events is registered; nothing here reaches its API.
    slack = {"bot_token": "xoxb-matrix", "signing_secret": "matrix", "api_base_url": "http://127.0.0.1:9/"}
    # The wrong-token limit off: the matrix sends a bad token to every route (the limit has tests of its own
    # in tests/router/test_security_console.py).
    settings = make_settings(
        slack=slack, server={"bad_tokens_per_minute": 0}, proactive={"events_secret": "matrix"}
    )
    client = await aiohttp_client(create_app(settings))
    tokens: dict[str, str | None] = {NONE: None, BAD: "not-a-real-token"}
    async with client.app[SESSIONS]() as session, session.begin():
        for role in (AGENT, ADMIN):
            _, tokens[role] = await create_user(session, f"matrix-{role}", role)

    routes = routes_of(client)
    missing = [r for r in routes if r not in EXPECTED]
    assert not missing, f"routes without a row in EXPECTED (who may call them?): {missing}"
    gone = [r for r in EXPECTED if r not in routes]
    assert not gone, f"rows in EXPECTED for routes the app no longer has: {gone}"

    wrong = []
    for method, template in routes:
        for who, expected in zip(WHO, EXPECTED[(method, template)], strict=True):
            headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
            for verb in (method, "HEAD") if method == "GET" else (method,):
                kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False}
                if verb in ("POST", "PUT", "PATCH", "DELETE"):
                    kwargs["json"] = {}
                resp = await client.request(verb, url_of(template), **kwargs)
                if resp.status != expected:
                    wrong.append(f"{verb} {template} as {who}: {resp.status}, expected {expected}")
                elif resp.status >= 400 and verb != "HEAD" and resp.content_type == "application/json":
                    error = (await resp.json()).get("error", {})
                    assert {"code", "message"} <= set(error), (verb, template, who, error)
                await resp.release()
    assert not wrong, "\n".join(wrong)
