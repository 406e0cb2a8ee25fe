"""SQLAlchemy's aiosqlite adapter with one trip to aiosqlite's thread per statement.

The stock adapter (sqlalchemy/connectors/asyncio.py) makes three or four trips per statement: the cursor,
execute, fetchall, close. Each trip waits for the event loop to run its callback, and on SQLite the one
pooled connection (infra/db.py) is held meanwhile, so under load every waiting transaction paid for them
(issue 12). Here a statement's cursor, execute, rows, description, rowcount and lastrowid are one function
run in the thread. The rest is aiosqlite's: the connection object (`driver_connection`, which
router/message_store.py uses), its thread, `commit`/`rollback` (one trip each; none when sqlite3 has no
transaction open), errors (sqlite3's, which SQLAlchemy wraps as for the stock adapter), and server-side
cursors. It is given to SQLAlchemy as the DBAPI module (`create_async_engine(module=…)`), so the dialect,
the URL (`sqlite+aiosqlite://…`) and Alembic stay as they were.
"""

from __future__ import annotations

import collections
import sqlite3
from threading import Thread
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# What one statement's trip brings back: description, rows, rowcount, lastrowid.
Outcome = tuple[Any, list[Any], int, int | None]


def _run(driver: aiosqlite.Connection, operation: str, parameters: Any) -> Outcome:
    """In aiosqlite's thread: the whole statement, on a cursor of its own, closed before returning."""
    cursor = driver._conn.cursor()  # `_conn` raises ValueError("no active connection") once closed
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # Read after the rows, as the stock adapter does: for `… RETURNING` sqlite3 counts while fetching.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(driver: aiosqlite.Connection, operation: str, seq_of_parameters: Any) -> Outcome:
    cursor = driver._conn.cursor()
    try:
        cursor.executemany(operation, seq_of_parameters)
        return None, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one trip; it holds no driver cursor between statements."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # The parent's __init__ would open an aiosqlite cursor: a trip, and another to close it.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the driver's cursor closed in the statement's trip; the rows stay."""

    def close(self) -> None:
        self._rows.clear()

    def _keep(self, outcome: Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            self._keep(await_(self._trip(_run, operation, parameters)))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        return self

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            self._keep(await_(self._trip(_run_many, operation, seq_of_parameters)))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        return self

    async def _trip(self, fn: Any, operation: Any, parameters: Any) -> Outcome:
        # The mutex orders statements against a server-side cursor's fetches on the same connection.
        async with self._adapt_connection._execute_mutex:
            driver = self._connection
            return await driver._execute(fn, driver, operation, parameters)

    def nextset(self) -> None:
        """sqlite3 has one result set per statement."""
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        """A no-op in sqlite3 too."""
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor

    def _open_transaction(self) -> bool:
        # sqlite3's own commit and rollback do nothing when it has no transaction open (a read-only
        # session: sqlite3 begins only before a write), so the trip is skipped. Read on the event loop's
        # thread: nothing else runs on this connection while its one holder commits.
        conn: sqlite3.Connection | None = self._connection._connection
        return conn is not None and conn.in_transaction

    def commit(self) -> None:
        if self._open_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._open_transaction():
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given: connections are `OneTripConnection`s."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = aiosqlite.connect(*arg, **kw)
            thread: Thread = connection._thread
            thread.daemon = True  # as SQLAlchemy's adapter: an unclosed connection must not hold up exit
        return OneTripConnection(self, await_(connection))
