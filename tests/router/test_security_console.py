"""Tokens out of URLs and wrong tokens per address (issue 13), on the real app.

- the agent socket authenticates with its first frame, `{"type":"auth","token":…}`; `?token=` is refused
  with a clear close reason (and never authenticates, so clients stop putting tokens where logs keep them);
- an address that sent `server.bad_tokens_per_minute` wrong tokens gets 429 on the HTTP API and the agent
  socket, whatever token it sends next; other addresses (behind a trusted proxy) are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from bot.app import create_app
from config import Settings
from infra.app_keys import SESSIONS
from router.auth import create_user

TIMEOUT = 30


async def closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type == aiohttp.WSMsgType.CLOSE, msg
    return msg


async def first_frame_socket(client: Any, token: str) -> aiohttp.ClientWebSocketResponse:
    ws = await client.ws_connect("/agent/ws")
    await ws.send_json({"type": "auth", "token": token})
    return ws


async def test_first_frame_auth_and_the_token_is_never_in_the_access_log(
    app_client: Any, make_user: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    token = await make_user("agnes", "agent")
    ws = await first_frame_socket(app_client, token)
    snap = await ws.receive_json(timeout=TIMEOUT)
    assert snap["type"] == "snapshot" and snap["agent"]["name"] == "agnes"
    await ws.send_str("ping")
    assert (await ws.receive(timeout=TIMEOUT)).data == "pong"
    await ws.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/agent/ws" in logged  # the access log is on ...
    assert token not in logged  # ... and holds no token


async def test_a_token_in_the_url_is_refused_with_a_reason(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    token = await make_user("agnes", "agent")  # a valid token: the URL form is refused all the same
    ws = await app_client.ws_connect("/agent/ws", params={"token": token})
    error = await ws.receive_json(timeout=TIMEOUT)
    assert error["type"] == "error" and error["code"] == "token_in_url"
    assert "first frame" in error["message"]
    msg = await closed(ws)
    assert (msg.data, msg.extra) == (4400, "token_in_url")
    resp = await app_client.get("/agent/ws", params={"token": token})  # a plain GET: JSON 400
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "token_in_url"


@pytest.mark.parametrize(
    "first",
    [
        {"type": "auth", "token": "kr_not-a-real-token"},
        {"type": "auth"},
        {"type": "typing", "ticket": 1},
        "not json",
    ],
)
async def test_a_socket_without_a_good_auth_frame_is_closed_4401(app_client: Any, first: Any) -> None:
    ws = await app_client.ws_connect("/agent/ws")
    if isinstance(first, str):
        await ws.send_str(first)
    else:
        await ws.send_json(first)
    error = await ws.receive_json(timeout=TIMEOUT)
    assert error["type"] == "error" and error["code"] == "unauthorized"
    msg = await closed(ws)
    assert (msg.data, msg.extra) == (4401, "unauthorized")


async def test_the_role_is_checked_on_the_first_frame(app_client: Any) -> None:
    async with app_client.app[SESSIONS]() as session, session.begin():
        user, token = await create_user(session, "x", "agent")
        user.role = "viewer"  # a role below agent
    ws = await first_frame_socket(app_client, token)
    assert (await ws.receive_json(timeout=TIMEOUT))["code"] == "forbidden"
    assert (await closed(ws)).data == 4403


# -- wrong tokens per address --------------------------------------------------------------------------------
@pytest.fixture
async def proxied_client(
    settings: Settings, make_settings: Callable[..., Settings], aiohttp_client: Any
) -> Any:
    """The app behind a trusted proxy on 127.0.0.1: X-Forwarded-For names the client address."""
    limited = make_settings(server={"trusted_proxies": ["127.0.0.1"], "bad_tokens_per_minute": 5})
    return await aiohttp_client(create_app(limited))


def from_address(ip: str, token: str | None = None) -> dict[str, str]:
    headers = {"X-Forwarded-For": ip}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def test_wrong_tokens_from_one_address_get_429_on_the_api_and_the_socket(proxied_client: Any) -> None:
    client = proxied_client
    async with client.app[SESSIONS]() as session, session.begin():
        _, good = await create_user(session, "agnes", "agent")
    attacker, colleague = "203.0.113.7", "198.51.100.20"
    for n in range(5):
        resp = await client.get("/api/tickets", headers=from_address(attacker, f"kr_guess-{n}"))
        assert resp.status == 401
    # Over the limit: refused before the token is looked at, even a good one.
    for token in ("kr_guess-next", good):
        resp = await client.get("/api/tickets", headers=from_address(attacker, token))
        assert resp.status == 429
        error = (await resp.json())["error"]
        assert error["code"] == "rate_limited" and "try again" in error["message"]
    ws = await client.ws_connect("/agent/ws", headers=from_address(attacker))
    await ws.send_json({"type": "auth", "token": good})
    assert (await ws.receive_json(timeout=TIMEOUT))["code"] == "rate_limited"
    assert (await closed(ws)).data == 4429
    # Another address is not affected; a missing token is not a guess.
    resp = await client.get("/api/tickets", headers=from_address(colleague, good))
    assert resp.status == 200
    for _ in range(8):
        assert (await client.get("/api/tickets", headers=from_address(colleague))).status == 401
    assert (await client.get("/api/tickets", headers=from_address(colleague, good))).status == 200


async def test_wrong_tokens_on_the_socket_count_too(proxied_client: Any) -> None:
    client = proxied_client
    async with client.app[SESSIONS]() as session, session.begin():
        _, good = await create_user(session, "agnes", "agent")
    for n in range(5):
        ws = await client.ws_connect("/agent/ws", headers=from_address("203.0.113.8"))
        await ws.send_json({"type": "auth", "token": f"kr_guess-{n}"})
        assert (await ws.receive_json(timeout=TIMEOUT))["code"] == "unauthorized"
        assert (await closed(ws)).data == 4401
    resp = await client.get("/api/tickets", headers=from_address("203.0.113.8", good))
    assert resp.status == 429


async def test_console_mode_says_whether_demo_mode_is_on(app_client: Any) -> None:
    resp = await app_client.get("/api/console/mode")
    assert resp.status == 200
    assert await resp.json() == {"demo": False}  # conftest's settings: demo = false
