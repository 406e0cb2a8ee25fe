"""Conversations and their messages: one conversation per customer across channels, ordered by `seq`."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.db import utcnow
from router.models import Conversation, Message


async def current_conversation(session: AsyncSession, customer_id: int) -> Conversation:
    """The customer's conversation (created on first contact). Locked for update on PostgreSQL."""
    conv = await session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.id)  # the first one: merges fold other conversations into it
        .limit(1)
        .with_for_update()
    )
    if conv is None:
        conv = Conversation(customer_id=customer_id, next_seq=1, context={}, last_address={}, bot_state={})
        session.add(conv)
        await session.flush()
    return conv


async def lock(session: AsyncSession, conversation_id: int) -> Conversation:
    conv = await session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conv is None:
        raise LookupError(conversation_id)
    return conv


# The hot path (every customer message and every bot reply) writes with Core statements: one UPDATE ...
# RETURNING takes the next seq (and, on PostgreSQL, the row lock) and one INSERT stores the message. Under
# chat load the ORM's unit of work cost the event loop more CPU than the rest of a question's handling.
_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_messages: Table = Message.__table__  # type: ignore[assignment]


@functools.cache
def _take_seq_statement(changed: frozenset[str], resend_check: bool) -> Any:
    """UPDATE ... RETURNING for `take_seq`, built once per shape: building a statement with literal values
    each time (coercing every value, computing cache keys) cost more loop time than running it."""
    c, m = _conversations.c, _messages.c
    where = [c.id == bindparam("p_id")]
    if resend_check:
        resent = select(m.id).where(
            m.conversation_id == bindparam("p_id"), m.client_id == bindparam("p_client")
        )
        where.append(~resent.exists())
    values: dict[str, Any] = {
        "next_seq": c.next_seq + 1,
        "updated_at": bindparam("p_now", type_=c.updated_at.type),
    }
    for name in sorted(changed):
        values[name] = bindparam(f"p_{name}", type_=c[name].type)
    return (
        update(_conversations)
        .where(*where)
        .values(**values)
        .returning(
            (c.next_seq - 1).label("seq"), c.owner, c.bot_state, c.context, c.last_channel, c.last_address
        )
    )


_INSERT_MESSAGE = insert(_messages)


class _SQLitePath:
    """The two hot statements straight on aiosqlite, for SQLite: SQLAlchemy's aiosqlite adapter makes three
    or four trips to aiosqlite's thread per statement (cursor, execute, fetch, close), `execute_fetchall`
    one. Values go through the columns' own type processors, so rows are the same as SQLAlchemy writes
    (tests/router/test_hot_path.py compares them)."""

    RETURNED = ("owner", "bot_state", "context", "last_channel", "last_address")
    MESSAGE_COLUMNS = (
        "conversation_id", "seq", "channel", "direction", "author_kind", "author_id", "kind", "text",
        "payload", "masked", "internal", "client_id", "context", "created_at",
    )  # fmt: skip

    def __init__(self, dialect: Any) -> None:
        conv, msg = _conversations.c, _messages.c
        self.conv_in = {c.name: c.type.bind_processor(dialect) for c in conv}
        self.conv_out = {n: conv[n].type.result_processor(dialect, None) for n in self.RETURNED}
        self.msg_in = {c.name: c.type.bind_processor(dialect) for c in msg}
        names = ", ".join(self.MESSAGE_COLUMNS)
        marks = ", ".join("?" for _ in self.MESSAGE_COLUMNS)
        self.insert_sql = f"INSERT INTO messages ({names}) VALUES ({marks})"

    @staticmethod
    def _in(processors: dict[str, Any], name: str, value: Any) -> Any:
        proc = processors.get(name)
        return proc(value) if proc is not None and value is not None else value

    @functools.cache  # noqa: B019 - one instance per dialect, kept for the process
    def update_sql(self, changed: tuple[str, ...], resend_check: bool) -> str:
        sets = ", ".join(["next_seq = next_seq + 1", "updated_at = ?", *(f"{n} = ?" for n in changed)])
        where = "id = ?"
        if resend_check:
            where += " AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND client_id = ?)"
        returned = ", ".join(self.RETURNED)
        return f"UPDATE conversations SET {sets} WHERE {where} RETURNING next_seq - 1 AS seq, {returned}"

    async def take_seq(
        self, driver: Any, conversation_id: int, client_id: str | None, changes: dict[str, Any]
    ) -> Any:
        changed = tuple(sorted(changes))
        params = [self._in(self.conv_in, "updated_at", utcnow())]
        params += [self._in(self.conv_in, n, changes[n]) for n in changed]
        params.append(conversation_id)
        if client_id is not None:
            params += [conversation_id, client_id]
        rows = await driver.execute_fetchall(self.update_sql(changed, client_id is not None), params)
        if not rows:
            return None
        seq, *rest = rows[0]
        values = {"seq": seq}
        for name, raw in zip(self.RETURNED, rest, strict=True):
            proc = self.conv_out[name]
            values[name] = proc(raw) if proc is not None and raw is not None else raw
        return SimpleNamespace(**values)

    async def insert(self, driver: Any, values: dict[str, Any]) -> None:
        params = [self._in(self.msg_in, n, values.get(n)) for n in self.MESSAGE_COLUMNS]
        await driver.execute_fetchall(self.insert_sql, params)


_SQLITE_PATHS: dict[int, _SQLitePath] = {}


async def _sqlite_driver(session: AsyncSession) -> tuple[Any, _SQLitePath] | None:
    """(aiosqlite connection, fast path) when the session is on SQLite through aiosqlite, else None."""
    conn = await session.connection()
    if conn.dialect.name != "sqlite" or conn.dialect.driver != "aiosqlite":
        return None
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not hasattr(driver, "execute_fetchall"):
        return None
    path = _SQLITE_PATHS.get(id(conn.dialect))
    if path is None:
        path = _SQLITE_PATHS[id(conn.dialect)] = _SQLitePath(conn.dialect)
    return driver, path


async def take_seq(
    session: AsyncSession, conversation_id: int, *, unless_client_id: str | None = None, **changes: Any
) -> Any:
    """Reserve the conversation's next seq and apply `changes`; returns the updated row with `seq`
    (the reserved number), or None when `unless_client_id` names a message stored before (a resent
    message: nothing changes). Raises LookupError for an unknown conversation."""
    fast = await _sqlite_driver(session)
    if fast is not None:
        row = await fast[1].take_seq(fast[0], conversation_id, unless_client_id, changes)
    else:
        # The resend check is folded into the UPDATE: a new message costs one round trip, not two.
        stmt = _take_seq_statement(frozenset(changes), unless_client_id is not None)
        params = {"p_id": conversation_id, "p_now": utcnow(), **{f"p_{k}": v for k, v in changes.items()}}
        if unless_client_id is not None:
            params["p_client"] = unless_client_id
        row = (await session.execute(stmt, params)).first()
    if row is None and (unless_client_id is None or await session.get(Conversation, conversation_id) is None):
        raise LookupError(conversation_id)
    return row


async def insert_message(session: AsyncSession, **values: Any) -> None:
    """Store one message row (the caller took its seq with `take_seq`)."""
    values.setdefault("created_at", utcnow())
    values.setdefault("payload", {})
    values.setdefault("context", {})
    values.setdefault("text", "")
    values.setdefault("masked", False)
    values.setdefault("internal", False)
    fast = await _sqlite_driver(session)
    if fast is not None:
        await fast[1].insert(fast[0], values)
    else:
        await session.execute(_INSERT_MESSAGE, values)


async def client_message(session: AsyncSession, conversation_id: int, client_id: str) -> Any:
    """(seq, text) of the customer message with this client id, if it was stored before."""
    m = _messages.c
    stmt = select(m.seq, m.text).where(m.conversation_id == conversation_id, m.client_id == client_id)
    return (await session.execute(stmt)).first()


async def state_of(session: AsyncSession, conversation_id: int) -> Any:
    c = _conversations.c
    row = (await session.execute(select(c.owner, c.bot_state).where(c.id == conversation_id))).first()
    if row is None:
        raise LookupError(conversation_id)
    return row


async def messages_after(
    session: AsyncSession, conversation_id: int, after: int, limit: int = 500
) -> list[Message]:
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after, Message.internal.is_(False))
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(rows)


def replay_frame(msg: Message) -> dict[str, Any]:
    """What a reconnecting client gets for a stored message: the frame as sent, or its own message."""
    if msg.direction == "out" and msg.payload:
        return dict(msg.payload)
    return {"type": "message", "author": "customer", "id": msg.client_id, "text": msg.text, "seq": msg.seq}


def message_json(m: Message) -> dict[str, Any]:
    """A stored message as the agent API and console show it (an item of a ticket's `timeline`)."""
    return {
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "channel": m.channel,
        "direction": m.direction,
        "author": m.author_kind,
        "kind": m.kind,
        "text": m.text,
        "internal": m.internal,
        "context": m.context,
        "payload": m.payload,
        "created_at": m.created_at.isoformat(),
    }
