"""Storing a message, the hot path (every customer message and every bot reply).

One `UPDATE … RETURNING` takes the conversation's next seq (and, on PostgreSQL, the row lock) and one
`INSERT` stores the message, as Core statements: under chat load the ORM's unit of work cost the event loop
more CPU than the rest of a question's handling. On SQLite through aiosqlite both run straight on the
driver's connection, and the transaction is the driver's too (`message_write`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Executable, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from config import KundresaError, NotFoundError
from infra.db import utcnow
from router.models import Conversation, Message

__all__ = ["Also", "MessageWrite", "insert_message", "message_write", "take_seq"]

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
            (c.next_seq - 1).label("seq"), c.owner, c.context, c.last_channel, c.last_address
        )
    )


_INSERT_MESSAGE = insert(_messages)

# More writes of the caller's in the transaction that stores a message (`Router.send(also=…)`): state the
# router does not own, such as the bot's, stored with the frame that goes with it.
Also = Callable[["MessageWrite"], Awaitable[None]]


class _SQLitePath:
    """The two hot statements straight on aiosqlite, for SQLite: one trip to aiosqlite's thread each, as
    SQLAlchemy's statements now make too (infra/sqlite_driver.py; the stock adapter made three or four),
    without SQLAlchemy's compile and result CPU. Values go through the columns' own type processors, so
    rows are the same as SQLAlchemy writes (tests/router/test_message_store.py compares them)."""

    RETURNED = ("owner", "context", "last_channel", "last_address")
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


def _sqlite_fast(dialect: Any) -> _SQLitePath | None:
    """The driver-level path when the database is SQLite through aiosqlite, else None."""
    if dialect.name != "sqlite" or dialect.driver != "aiosqlite":
        return None
    path = _SQLITE_PATHS.get(id(dialect))
    if path is None:
        path = _SQLITE_PATHS[id(dialect)] = _SQLitePath(dialect)
    return path


async def take_seq(
    session: AsyncSession, conversation_id: int, *, unless_client_id: str | None = None, **changes: Any
) -> Any:
    """Reserve the conversation's next seq and apply `changes`; returns the updated row with `seq`
    (the reserved number), or None when `unless_client_id` names a message stored before (a resent
    message: nothing changes). Raises NotFoundError for an unknown conversation."""
    # The resend check is folded into the UPDATE: a new message costs one round trip, not two.
    stmt = _take_seq_statement(frozenset(changes), unless_client_id is not None)
    params = {"p_id": conversation_id, "p_now": utcnow(), **{f"p_{k}": v for k, v in changes.items()}}
    if unless_client_id is not None:
        params["p_client"] = unless_client_id
    row = (await session.execute(stmt, params)).first()
    if row is None and (unless_client_id is None or await session.get(Conversation, conversation_id) is None):
        raise NotFoundError(f"conversation {conversation_id} not found", code="conversation_not_found")
    return row


async def insert_message(session: AsyncSession, **values: Any) -> None:
    """Store one message row (the caller took its seq with `take_seq`)."""
    await session.execute(_INSERT_MESSAGE, _message_defaults(values))


def _message_defaults(values: dict[str, Any]) -> dict[str, Any]:
    values.setdefault("created_at", utcnow())
    values.setdefault("payload", {})
    values.setdefault("context", {})
    values.setdefault("text", "")
    # PostgreSQL cannot store NUL in text, SQLite can: stripped here, both store the same (web and API
    # input with NUL is refused earlier, `config.safe_json`; a Slack message is taken as it comes).
    if isinstance(values["text"], str) and "\x00" in values["text"]:
        values["text"] = values["text"].replace("\x00", "")
    values.setdefault("masked", False)
    values.setdefault("internal", False)
    return values


class MessageWrite:
    """One transaction storing a message: `take_seq`, `insert_message`, the caller's own statements
    (`execute`: e.g. the bot's state saved with its frame) and, for the rare steps that need the ORM (a
    resent message, a ticket to move), `session()` in the same transaction."""

    def __init__(
        self,
        *,
        session: AsyncSession | None = None,
        conn: AsyncConnection | None = None,
        driver: Any = None,
        path: _SQLitePath | None = None,
    ) -> None:
        self._session, self._conn, self._driver, self._path = session, conn, driver, path

    async def take_seq(
        self, conversation_id: int, *, unless_client_id: str | None = None, **changes: Any
    ) -> Any:
        if self._path is None:
            session = await self.session()
            return await take_seq(session, conversation_id, unless_client_id=unless_client_id, **changes)
        row = await self._path.take_seq(self._driver, conversation_id, unless_client_id, changes)
        if row is None and (unless_client_id is None or not await self._exists(conversation_id)):
            raise NotFoundError(f"conversation {conversation_id} not found", code="conversation_not_found")
        return row

    async def insert_message(self, **values: Any) -> None:
        if self._path is None:
            await insert_message(await self.session(), **values)
        else:
            await self._path.insert(self._driver, _message_defaults(values))

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        """A Core statement of the caller's in this transaction (no ORM session on the SQLite path)."""
        if self._path is None:
            await (await self.session()).execute(statement, params)
        else:
            if self._conn is None:  # the SQLite path always has its connection once begun
                raise KundresaError("message write used before it began", code="write_not_begun")
            await self._conn.execute(statement, params)

    async def session(self) -> AsyncSession:
        """An ORM session in this transaction (on the SQLite path: bound to the same connection)."""
        if self._session is None:
            self._session = AsyncSession(bind=self._conn, expire_on_commit=False)
        return self._session

    async def _exists(self, conversation_id: int) -> bool:
        found = "SELECT 1 FROM conversations WHERE id = ?"
        rows = await self._driver.execute_fetchall(found, [conversation_id])
        return bool(rows)


@asynccontextmanager
async def message_write(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[MessageWrite]:
    """A transaction for storing one message, committed when the block ends (rolled back if it raises).

    On SQLite through aiosqlite it is the driver's own: a pooled connection without SQLAlchemy's
    session and transaction bookkeeping, which cost the event loop 0.64 against 0.34 ms of CPU a
    message (two messages per question). Elsewhere, an ORM session's transaction.
    """
    engine: AsyncEngine = sessions.kw["bind"]
    path = _sqlite_fast(engine.dialect)
    if path is None:
        async with sessions() as session, session.begin():
            yield MessageWrite(session=session)
        return
    async with engine.connect() as conn:
        driver: Any = (await conn.get_raw_connection()).driver_connection
        write = MessageWrite(conn=conn, driver=driver, path=path)
        try:
            yield write
            if write._session is not None:
                await write._session.commit()  # commits the connection: the driver-level statements too
            elif conn.in_transaction():  # `execute` ran a statement: SQLAlchemy's transaction, the same
                await conn.commit()
            else:  # only the driver-level statements (after a commit above, a second trip for nothing)
                await driver.commit()
        except BaseException:
            if write._session is not None:
                await write._session.rollback()
            elif conn.in_transaction():
                await conn.rollback()
            await driver.rollback()
            raise
        finally:
            if write._session is not None:
                await write._session.close()
