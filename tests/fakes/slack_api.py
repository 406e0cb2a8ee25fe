"""A fake Slack Web API on 127.0.0.1: what slack-sdk's `base_url` points to in tests.

It answers `POST|GET /api/<method>` like Slack (auth.test, users.info, chat.postMessage, chat.update,
chat.postEphemeral, conversations.info; anything else `{"ok": true}`), records every call with its
parameters (query string, form and JSON bodies merged), and answers the next N calls of a method with
HTTP 429 and `Retry-After: 1` when told to. Outages: `fail` answers the next N calls with HTTP 5xx and an
HTML page (what a proxy in front of a Slack that is down answers), `down` closes the port (connection
refused) until `up` opens it again on the same port. For Socket Mode, `apps.connections.open` hands out
`ws://127.0.0.1:PORT/socket`, where `socket_send` pushes envelopes and the client's acks are recorded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM_ID = "T_OURS"
BOT_USER_ID = "U_BOT"
BOT_ID = "B_BOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    def dump(self) -> str:
        """Everything sent, as one string to search in."""
        return json.dumps(self.params, ensure_ascii=False)


class FakeSlackAPI:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}  # users.info answers by user id
        self.channels: dict[str, dict[str, Any]] = {}  # conversations.info answers by channel id
        self._limited: dict[str, int] = {}
        self._failing: dict[str | None, tuple[int, int]] = {}  # method (None: any) -> (times, status)
        self._refusing: list[list[Any]] = []  # [method, error, times left, params to match]
        self._site: web.TCPSite | None = None
        self.port = 0
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/api/{method}", self._handle)
        self.app.router.add_get("/socket", self._socket)

    # -- what a test sets up -----------------------------------------------------------------------------
    def add_user(
        self, user_id: str, *, email: str | None = None, name: str | None = None, team_id: str = TEAM_ID
    ) -> None:
        profile: dict[str, Any] = {"real_name": name or user_id, "display_name": name or user_id}
        if email:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": (name or user_id).lower().replace(" ", "."),
            "real_name": name or user_id,
            "is_bot": False,
            "profile": profile,
        }

    def rate_limit(self, method: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and `Retry-After: 1`."""
        self._limited[method] = self._limited.get(method, 0) + times

    def fail(self, times: int, status: int = 500, method: str | None = None) -> None:
        """Answer the next `times` calls (of `method`, or of any) with HTTP `status` and an HTML page."""
        self._failing[method] = (times, status)

    def refuse(self, method: str, error: str, times: int = 1, **match: Any) -> None:
        """Answer the next `times` calls of `method` (whose parameters include `match`) with HTTP 200 and
        `{"ok": false, "error": error}`: Slack saying no, not Slack being away."""
        self._refusing.append([method, error, times, match])

    async def down(self) -> None:
        """Stop listening: calls get "connection refused" until `up`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def up(self) -> None:
        """Listen again, on the same port."""
        if self._site is None and self._runner is not None:
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            await self._site.start()

    # -- what a test reads -------------------------------------------------------------------------------
    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """Successful calls of `method` whose parameters include `match`."""
        return [
            c
            for c in self.calls
            if c.method == method
            and c.status == 200
            and c.response.get("ok", True)
            and all(c.params.get(k) == v for k, v in match.items())
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda c: True,
        *,
        count: int = 1,
        within: float = 30.0,
        **match: Any,
    ) -> list[Call]:
        """The first `count` matching successful calls, waiting for them to arrive."""
        deadline = time.monotonic() + within
        while True:
            found = [c for c in self.calls_to(method, **match) if predicate(c)]
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline:
                seen = [(c.method, c.status, c.params.get("channel")) for c in self.calls]
                raise AssertionError(f"no {count} x {method} {match} within {within} s; calls: {seen}")
            await asyncio.sleep(0.02)

    # -- lifecycle ---------------------------------------------------------------------------------------
    async def start(self) -> str:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        return self.base_url

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- Socket Mode -------------------------------------------------------------------------------------
    async def socket_send(self, envelope: dict[str, Any], within: float = 30.0) -> None:
        """Push an envelope to the connected Socket Mode client (waiting for it to connect)."""
        deadline = time.monotonic() + within
        while not [ws for ws in self.sockets if not ws.closed]:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            await asyncio.sleep(0.02)
        ws = next(ws for ws in self.sockets if not ws.closed)
        await ws.send_json(envelope)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A_KUNDRESA"}}
        )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.socket_acks.append(json.loads(msg.data))
        return ws

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.base_url.replace("http://", "ws://").replace("/api/", "/socket")}

    # -- the API -----------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "attachments"):  # form-encoded bodies carry these as JSON strings
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        for key in (method, None):
            times, status = self._failing.get(key, (0, 0))
            if times:
                self._failing[key] = (times - 1, status)
                self.calls.append(Call(method, params, status, {}))
                page = f"<html><body><h1>{status}</h1>Slack is having trouble.</body></html>"
                return web.Response(status=status, text=page, content_type="text/html")
        for refusal in self._refusing:
            wanted, error, times, match = refusal
            if wanted == method and times and all(params.get(k) == v for k, v in match.items()):
                refusal[2] -= 1
                body = {"ok": False, "error": error}
                self.calls.append(Call(method, params, 200, body))
                return web.json_response(body)
        if self._limited.get(method):
            self._limited[method] -= 1
            body = {"ok": False, "error": "ratelimited"}
            self.calls.append(Call(method, params, 429, body))
            return web.json_response(body, status=429, headers={"Retry-After": "1"})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        body = answer(params) if answer else {"ok": True}
        self.calls.append(Call(method, params, 200, body))
        return web.json_response(body)

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n}.{n:06d}"

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://kundresa-test.slack.com/",
            "team": "Kundresa Test",
            "user": "kundresa",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        info = self.channels.get(channel)
        if info is None:
            info = {"id": channel, "is_im": channel.startswith("D"), "is_ext_shared": False}
        return {"ok": True, "channel": info}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        ts = self._next_ts()
        message = {"type": "message", "text": params.get("text", ""), "ts": ts, "bot_id": BOT_ID}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        return {"ok": True, "channel": channel, "ts": ts, "text": params.get("text")}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}
