"""Storing an outgoing frame (a bot reply, an agent message, a handoff): its seq, its row, and what
delivering it needs afterwards. `Router.send` uses it, and so does a ticket opened with its announcement
in one transaction (`TicketService.handoff`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from infra.db import utcnow
from router.message_store import Also, MessageWrite

__all__ = ["Outgoing", "Sender", "store_outgoing"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A stored frame, to deliver once its transaction has committed."""

    conversation_id: int
    frame: dict[str, Any]  # as stored: with its `seq` and `at`
    channel: str | None  # the customer's channel then, and their address on it
    address: dict[str, Any]
    author_kind: str
    internal: bool


async def store_outgoing(
    write: MessageWrite,
    conversation_id: int,
    frame: dict[str, Any],
    *,
    author_kind: str = "bot",
    author_id: int | None = None,
    text: str = "",
    internal: bool = False,
) -> Outgoing:
    """Take the frame's seq and store it, in `write`'s transaction (the caller holds `Router.lock`)."""
    row = await write.take_seq(conversation_id)
    # `at`: when it was stored (ISO 8601, UTC), for the customer's timestamps
    stored = {**frame, "seq": row.seq, "at": utcnow().isoformat(timespec="seconds")}
    await write.insert_message(
        conversation_id=conversation_id,
        seq=row.seq,
        channel=row.last_channel or "web",
        direction="out",
        author_kind=author_kind,
        author_id=author_id,
        kind=frame["type"],
        text=text or str(frame.get("text", "")),
        payload=stored,
        internal=internal,
    )
    return Outgoing(
        conversation_id, stored, row.last_channel, dict(row.last_address or {}), author_kind, internal
    )


class Sender(Protocol):
    """Stores a frame in a conversation and delivers it (`Router.send`); delivers one stored already."""

    async def send(
        self,
        conversation_id: int,
        frame: dict[str, Any],
        *,
        author_kind: str = "bot",
        author_id: int | None = None,
        text: str = "",
        internal: bool = False,
        also: Also | None = None,
    ) -> dict[str, Any]: ...

    async def deliver_stored(self, out: Outgoing) -> None: ...
