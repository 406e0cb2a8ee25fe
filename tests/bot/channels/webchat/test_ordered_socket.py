"""bot/channels/webchat/ordered_socket.py: one writer per socket sends frames in seq order; a frame that
never arrives is read from the database after GAP_WAIT (the ordering itself: test_sequencer.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.webchat import ordered_socket
from bot.channels.webchat.ordered_socket import OrderedSocket
from bot.channels.webchat.sequencer import Frame


def frame(seq: int, kind: str = "agent_message") -> Frame:
    return {"type": kind, "text": f"reply {seq}", "seq": seq}


class Socket:
    """What `OrderedSocket` needs of a `web.WebSocketResponse`: `send_json` (yielding, like a busy
    transport) and `closed`."""

    def __init__(self) -> None:
        self.sent: list[Frame] = []
        self.closed = False

    async def send_json(self, data: Frame) -> None:
        await asyncio.sleep(0)
        self.sent.append(data)


class Rows:
    """The 'database': every frame stored so far."""

    def __init__(self) -> None:
        self.stored: dict[int, Frame] = {}
        self.reads: list[tuple[int, int]] = []

    async def __call__(self, conv: int, after: int, upto: int) -> list[tuple[int, Frame]]:
        self.reads.append((after, upto))
        await asyncio.sleep(0.01)
        return [(s, f) for s, f in sorted(self.stored.items()) if after < s <= upto]


async def test_concurrent_offers_leave_in_order_through_one_writer() -> None:
    ws, rows = Socket(), Rows()
    out = OrderedSocket(ws, rows)  # type: ignore[arg-type]
    await out.bind(1, 0)
    order = list(range(1, 31))
    order.reverse()
    await asyncio.gather(*(out.offer(s, frame(s)) for s in order))
    assert [f["seq"] for f in ws.sent] == list(range(1, 31))
    assert rows.reads == []  # nothing was missing for long


async def test_a_frame_that_never_arrives_is_read_from_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ordered_socket, "GAP_WAIT", 0.05)
    ws, rows = Socket(), Rows()
    out = OrderedSocket(ws, rows)  # type: ignore[arg-type]
    await out.bind(1, 0)
    rows.stored = {1: frame(1), 2: frame(2), 3: frame(3)}
    await out.offer(1, frame(1))
    await out.offer(3, frame(3))  # 2's notification was lost
    assert [f["seq"] for f in ws.sent] == [1]
    for _ in range(100):
        if len(ws.sent) == 3:
            break
        await asyncio.sleep(0.01)
    assert [f["seq"] for f in ws.sent] == [1, 2, 3]
    assert rows.reads == [(1, 3)]
    await out.offer(2, frame(2))  # late, by the other path: not sent twice
    assert len(ws.sent) == 3
    await out.close()


async def test_a_late_frame_within_the_wait_needs_no_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ordered_socket, "GAP_WAIT", 0.2)
    ws, rows = Socket(), Rows()
    out = OrderedSocket(ws, rows)  # type: ignore[arg-type]
    await out.bind(1, 0)
    await out.offer(2, frame(2))
    await asyncio.sleep(0.02)
    await out.offer(1, frame(1))
    await asyncio.sleep(0.3)
    assert [f["seq"] for f in ws.sent] == [1, 2]
    assert rows.reads == []
    await out.close()
