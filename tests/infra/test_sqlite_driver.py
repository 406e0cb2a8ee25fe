"""infra/sqlite_driver.py: one trip to aiosqlite's thread per statement, and the stock adapter's behaviour
otherwise (errors, rollback, queueing, pragmas, streams), on a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, exc, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker
from infra.sqlite_driver import OneTripDBAPI

META = MetaData()
PARENTS = Table("parents", META, Column("id", Integer, primary_key=True), Column("name", String, unique=True))
CHILDREN = Table(
    "children",
    META,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("parents.id"), nullable=False),
)


class Trips:
    """Counts the calls queued to each aiosqlite connection's thread (`Connection._execute`: statements,
    cursors, commits, rollbacks; what the stock adapter's trips go through as well)."""

    def __init__(self) -> None:
        self.count = 0
        self._original = aiosqlite.Connection._execute

    @contextmanager
    def installed(self) -> Iterator[Trips]:
        original = self._original

        async def counted(conn: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
        try:
            yield self
        finally:
            aiosqlite.Connection._execute = original  # type: ignore[method-assign]

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


@pytest.fixture
def trips() -> Iterator[Trips]:
    with Trips().installed() as counter:
        yield counter


async def _ready(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as conn:
        await conn.run_sync(META.create_all)
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await _ready(create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/driver.db")))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_create_engine_uses_the_one_trip_driver_and_keeps_the_url(engine: AsyncEngine) -> None:
    assert isinstance(engine.dialect.dbapi, OneTripDBAPI)
    assert engine.url.drivername == "sqlite+aiosqlite"
    assert (engine.dialect.name, engine.dialect.driver) == ("sqlite", "aiosqlite")  # message_store's test


async def test_each_statement_is_one_trip_and_commit_one_more(engine: AsyncEngine, trips: Trips) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the pool's first checkout, out of the count
        trips.take()
        assert (await conn.execute(select(PARENTS))).all() == []
        assert trips.take() == 1
        inserted = await conn.execute(insert(PARENTS).values(name="a").returning(PARENTS.c.id))
        assert inserted.scalar_one() == 1
        assert trips.take() == 1
        changed = await conn.execute(update(PARENTS).values(name="b"))
        assert changed.rowcount == 1
        assert trips.take() == 1
        await conn.commit()
        assert trips.take() == 1
        assert (await conn.execute(select(PARENTS.c.name))).scalars().all() == ["b"]
        assert trips.take() == 1


async def test_a_read_only_session_is_its_statements_only(engine: AsyncEngine, trips: Trips) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("SELECT 1"))
    trips.take()
    async with sessions() as session, session.begin():
        await session.execute(select(PARENTS))
        await session.execute(select(CHILDREN))
    # sqlite3 begins only before a write: nothing to commit or roll back, so no trip for it.
    assert trips.take() == 2


async def test_the_stock_adapter_makes_more_trips(tmp_path: Path, trips: Trips) -> None:
    """The counter sees the trips the one-trip driver saves (else the tests above would prove nothing)."""
    engine = await _ready(create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/stock.db"))
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            trips.take()
            await conn.execute(select(PARENTS))
            assert trips.take() >= 3  # cursor, execute, fetchall (and close)
    finally:
        await engine.dispose()


async def test_executemany_is_one_trip(engine: AsyncEngine, trips: Trips) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        trips.take()
        result = await conn.execute(insert(PARENTS), [{"name": f"p{i}"} for i in range(5)])
        assert result.rowcount == 5
        assert trips.take() == 1
        await conn.commit()
        assert (await conn.execute(select(PARENTS.c.name))).scalars().all() == [f"p{i}" for i in range(5)]


async def test_errors_are_sqlalchemy_errors_and_rollback_undoes(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(insert(PARENTS).values(name="a"))
        with pytest.raises(exc.IntegrityError):
            await conn.execute(insert(PARENTS).values(name="a"))  # unique
        with pytest.raises(exc.IntegrityError):
            await conn.execute(insert(CHILDREN).values(parent_id=99))  # foreign keys are on
        with pytest.raises(exc.OperationalError):
            await conn.execute(text("SELECT * FROM nowhere"))
        await conn.rollback()
        assert (await conn.execute(select(PARENTS))).all() == []


async def test_a_closed_driver_connection_is_an_operational_error(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.close()
        with pytest.raises(exc.DBAPIError) as raised:
            await conn.execute(select(PARENTS))
        assert isinstance(raised.value.orig, aiosqlite.OperationalError)
        assert raised.value.connection_invalidated  # the pool replaces it


async def test_concurrent_sessions_queue_for_the_one_connection(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        await session.execute(insert(PARENTS).values(id=1, name="counter"))

    async def bump(n: int) -> None:
        async with sessions() as session, session.begin():
            await session.execute(insert(CHILDREN).values(parent_id=1))
            await asyncio.sleep(0)  # let the others try to get in between
            if n == 3:
                raise RuntimeError("this one rolls back")

    results = await asyncio.gather(*(bump(n) for n in range(10)), return_exceptions=True)
    assert [type(r) for r in results].count(RuntimeError) == 1
    async with sessions() as session:
        assert len((await session.execute(select(CHILDREN))).all()) == 9


async def test_pragmas_raw_driver_and_streams_still_work(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        names = ("foreign_keys", "secure_delete")
        pragmas = {p: (await conn.execute(text(f"PRAGMA {p}"))).scalar() for p in names}
        assert pragmas == {"foreign_keys": 1, "secure_delete": 1}
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute_fetchall("INSERT INTO parents (name) VALUES (?)", ["raw"])
        await driver.commit()
        streamed = await conn.stream(select(PARENTS.c.name))  # a server-side cursor: the stock one
        assert [row.name async for row in streamed] == ["raw"]


async def test_an_in_memory_database_works() -> None:
    engine = await _ready(create_engine(DatabaseSettings(url="sqlite+aiosqlite:///:memory:")))
    try:
        sessions = async_sessionmaker(engine)
        async with sessions() as session, session.begin():
            await session.execute(insert(PARENTS).values(name="m"))
        async with sessions() as session:
            assert (await session.execute(select(PARENTS.c.name))).scalars().all() == ["m"]
    finally:
        await engine.dispose()
