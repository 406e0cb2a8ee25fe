"""Wrong API tokens, counted per client address: past `server.bad_tokens_per_minute` in a minute, the
address gets 429 for any token until the minute is over (a token is not guessed one request at a time).

The HTTP API (`router.web.current_user`) and the agent socket (`router.console`) both go through
`authenticate_request`. Counts are per process (like the chat's per-address limits); the client address
is the TCP peer, or the nearest untrusted X-Forwarded-For hop behind `server.trusted_proxies`.
"""

from __future__ import annotations

import math
import time
from collections import deque

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from config import RateLimitedError, ServerSettings, UnauthorizedError
from router.auth import authenticate
from router.client_ip import client_ip, proxy_networks
from router.models import User

__all__ = ["TOKEN_GUARD", "TokenGuard", "TooManyBadTokensError", "authenticate_request"]

WINDOW = 60.0


class TooManyBadTokensError(RateLimitedError):

    def __init__(self, wait: float) -> None:
        seconds = max(1, math.ceil(wait))
        super().__init__(f"too many wrong API tokens from your address; try again in {seconds} s")
        self.retry_after = seconds


class TokenGuard:
    """Failed token checks per client address in a sliding minute."""

    def __init__(self, per_minute: int, trusted_proxies: list[str] | None = None) -> None:
        self.per_minute = per_minute
        self.proxies = proxy_networks(trusted_proxies or [])
        self._failures: dict[str, deque[float]] = {}

    @classmethod
    def of(cls, server: ServerSettings) -> TokenGuard:
        return cls(server.bad_tokens_per_minute, server.trusted_proxies)

    def address(self, request: web.Request) -> str:
        return client_ip(request, self.proxies)

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and now - times[0] > WINDOW:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def check(self, address: str) -> None:
        """`TooManyBadTokensError` while `address` is over its limit."""
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        times = self._recent(address, now)
        if times is not None and len(times) >= self.per_minute:
            raise TooManyBadTokensError(WINDOW - (now - times[0]))

    def failed(self, address: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        if len(self._failures) > 10_000:  # forget addresses idle for a minute
            for key in [k for k, v in self._failures.items() if not v or now - v[-1] > WINDOW]:
                del self._failures[key]
        self._failures.setdefault(address, deque()).append(now)


TOKEN_GUARD = web.AppKey("token_guard", TokenGuard)


async def authenticate_request(session: AsyncSession, request: web.Request, token: str | None) -> User:
    """`authenticate`, refused with 429 for an address that sent too many wrong tokens; a wrong (not a
    missing) token counts against its address."""
    guard = request.app.get(TOKEN_GUARD)
    if guard is None:
        return await authenticate(session, token)
    address = guard.address(request)
    guard.check(address)
    try:
        return await authenticate(session, token)
    except UnauthorizedError:
        if token:
            guard.failed(address)
        raise
