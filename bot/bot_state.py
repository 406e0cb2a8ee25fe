"""The bot's memory of a conversation (`conversations.bot_state`): the customer's language, the last answer
and question, the clarify options offered, the ticket it handed over to. The bot owns it: read when a turn
starts (`BotStates.load`), written with the frame that changes it (`saving`: in that frame's transaction).

A state written before the conversation last changed hands (`owner_changes`, counted by the router's
`sync_owner`) is forgotten once the bot has the conversation again: handed back after a ticket, the bot
starts afresh and keeps only the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from router.message_store import Also, MessageWrite
from router.models import Conversation

__all__ = ["CHANGES", "BotStates", "Seen", "current", "saving"]

CHANGES = "owner_changes"  # in the state: the conversation's count of owner changes when it was read

_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_c = _conversations.c
_LOAD = select(_c.owner, _c.owner_changes, _c.bot_state, _c.last_channel).where(_c.id == bindparam("p_id"))
_SAVE = update(_conversations).where(_c.id == bindparam("p_id")).values(bot_state=bindparam("p_state"))


@dataclass(frozen=True, slots=True)
class Seen:
    """What a bot turn starts from: who answers the conversation, the bot's state, the customer's channel."""

    owner: str  # bot | agent
    state: dict[str, Any]
    channel: str | None


def current(owner: str, owner_changes: int, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The state the bot goes on from: the stored one, or only its language when the conversation changed
    hands since it was written and the bot has it now."""
    state = dict(stored or {})
    if owner == "bot" and int(state.get(CHANGES) or 0) != owner_changes:
        state = {"lang": state.get("lang", "sv")}
    state[CHANGES] = owner_changes
    return state


def saving(conversation_id: int, state: dict[str, Any]) -> Also:
    """Store `state` in the transaction of the frame that goes with it (`Router.send(also=…)`)."""

    async def save(write: MessageWrite) -> None:
        await write.execute(_SAVE, {"p_id": conversation_id, "p_state": dict(state)})

    return save


class BotStates:
    """Reads the bot's state of a conversation: one query on a pooled connection, no ORM session."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._engine: AsyncEngine = sessions.kw["bind"]

    async def load(self, conversation_id: int) -> Seen | None:
        """None for an unknown conversation."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(_LOAD, {"p_id": conversation_id})).first()
        if row is None:
            return None
        return Seen(row.owner, current(row.owner, row.owner_changes, row.bot_state), row.last_channel)
