"""SIGTERM drains: no new chat sockets, the bot's turns in progress finish, open sockets close with 1012.

aiohttp's shutdown already stops listening and closes idle keep-alive connections before `on_shutdown`
runs; chat sockets would otherwise stay open until its timeout cancelled their handlers mid-answer. Here a
socket is closed only once the turns in progress are done (their answers reached the socket), with close
code 1012 ("service restart") and a reason saying to reconnect: the widget reconnects on any close, and
resumes from the last seq it has, on this process's successor or another one behind the same proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref

from aiohttp import web

from bot.turns import Turns

log = logging.getLogger("kundresa.drain")

__all__ = ["CHAT_SOCKET", "CLOSE_REASON", "RESTARTING", "Drain"]

RESTARTING = 1012  # WebSocket close code "Service Restart": reconnect
CLOSE_REASON = b"restarting; reconnect"
CHAT_PATH = "/ws/chat"
CLOSE_SECONDS = 5.0  # for every socket's closing handshake together
CHAT_SOCKET = web.RequestKey("chat_socket", web.WebSocketResponse)  # the request's socket, once upgraded


class Drain:
    """Tracks this process's chat sockets and closes them gracefully on shutdown."""

    def __init__(self, seconds: float, turns: Turns | None = None) -> None:
        self.turns = turns  # the dialogue's, set once it exists
        self.seconds = seconds
        self.draining = False
        # Weak: a socket whose handler ended is gone from here without bookkeeping in the chat channel.
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    def install(self, app: web.Application) -> None:
        app.on_response_prepare.append(self._track)
        app.on_shutdown.append(self._on_shutdown)

    async def _track(self, request: web.Request, response: web.StreamResponse) -> None:
        if isinstance(response, web.WebSocketResponse) and request.path == CHAT_PATH:
            self.sockets.add(response)
            request[CHAT_SOCKET] = response

    def refuse(self) -> web.Response:
        """What a chat socket asked for while draining gets: try again (elsewhere) shortly."""
        body = {"error": {"code": "restarting", "message": "the server is restarting; reconnect in a moment"}}
        return web.json_response(body, status=503, headers={"Retry-After": "1"})

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.drain()

    async def drain(self) -> None:
        self.draining = True
        began = time.monotonic()
        if self.turns is not None and not await self.turns.idle(self.seconds):
            busy = self.turns.count
            log.warning("shutting down with %d bot turn(s) in progress after %.0f s", busy, self.seconds)
        sockets = [ws for ws in list(self.sockets) if not ws.closed]
        if sockets:
            closing = [ws.close(code=RESTARTING, message=CLOSE_REASON) for ws in sockets]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), CLOSE_SECONDS)
        log.info(
            "drained in %.2f s: turns in progress finished, %d chat socket(s) closed with %d",
            time.monotonic() - began,
            len(sockets),
            RESTARTING,
        )
