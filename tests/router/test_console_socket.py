"""`ConsoleSocket` (router/console_socket.py) on its own: typing frames are rate-limited per ticket and in
all, a console too slow to take its events is closed, and bad frames get error frames. (The socket over
real HTTP, with auth and snapshots: tests/router/test_console.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from router import console_socket
from router.console_socket import TYPING_PER_SECOND, ConsoleSocket


class FakeSocket:
    """What ConsoleSocket uses of a WebSocketResponse: send_json, close, closed."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: tuple[int, bytes] | None = None

    @property
    def closed(self) -> bool:
        return self.closed_with is not None

    async def send_json(self, data: dict[str, Any]) -> None:
        self.sent.append(data)

    async def close(self, *, code: int, message: bytes) -> None:
        self.closed_with = (code, message)


def console(ws: FakeSocket) -> ConsoleSocket:
    return ConsoleSocket(web.Application(), ws, user_id=1)  # type: ignore[arg-type]


def test_typing_is_taken_once_a_second_per_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(console_socket.time, "monotonic", lambda: now[0])
    sock = console(FakeSocket())
    assert sock.typing_allowed(7)
    assert not sock.typing_allowed(7), "again within a second: dropped"
    assert sock.typing_allowed(8), "another ticket is not held up"
    now[0] += 1.01
    assert sock.typing_allowed(7)


def test_typing_in_all_is_capped_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(console_socket.time, "monotonic", lambda: now[0])
    sock = console(FakeSocket())
    assert all(sock.typing_allowed(t) for t in range(TYPING_PER_SECOND))
    assert not sock.typing_allowed(999), "bad ticket ids count too: each costs a lookup"
    now[0] += 1.01
    assert sock.typing_allowed(999)


async def test_bad_frames_get_error_frames_and_the_socket_stays_open() -> None:
    ws = FakeSocket()
    sock = console(ws)
    await sock.handle("{not json")
    await sock.handle('{"type":"shout"}')
    await sock.handle('{"type":"typing","ticket":"seven"}')
    await sock.handle('{"type":"typing","ticket":true}')
    codes = [frame["code"] for frame in ws.sent]
    assert codes == ["invalid_json", "unknown_type", "invalid_ticket", "invalid_ticket"]
    assert all(frame["type"] == "error" for frame in ws.sent)
    assert not ws.closed


async def test_a_console_too_slow_for_its_events_is_closed_to_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_socket, "QUEUE_LIMIT", 2)
    ws = FakeSocket()
    sock = ConsoleSocket(web.Application(), ws, user_id=1)  # type: ignore[arg-type]
    for i in range(sock.queue.maxsize):
        await sock.listen("tickets", {"ticket_id": i})
    assert not ws.closed
    await sock.listen("tickets", {"ticket_id": 99})  # never waits: the publisher is not held up
    await asyncio.sleep(0)
    assert ws.closed_with == (4408, b"too slow")
