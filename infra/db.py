"""The declarative base every package's models share, and the async engine and session factory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from config import DatabaseSettings
from infra.sqlite_driver import OneTripDBAPI

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


APPLICATION_NAME = "kundresa"  # PostgreSQL application_name prefix of every engine's connections


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            # Naive means UTC; an aware time in another zone is converted, not relabelled: SQLite stores
            # the wall clock without its offset, and reads it back as UTC.
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """A stored time as the API shows it (ISO 8601); None stays None."""
    return value.isoformat() if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012  (SQLAlchemy reads it)


def _in_memory(url: str) -> bool:
    """`sqlite+aiosqlite:///:memory:`, or no database named at all (`sqlite+aiosqlite://`)."""
    return ":memory:" in url or make_url(url).database in (None, "")


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys so it behaves like the production store."""
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if settings.url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        if "+aiosqlite" in settings.url:
            kwargs["module"] = OneTripDBAPI()  # one trip to aiosqlite's thread per statement (issue 12)
        if not _in_memory(settings.url):
            # SQLite has one writer at a time: with several connections, concurrent transactions collide
            # and SQLite's busy handler sleeps (1, 2, 5 ... 100 ms) before retrying, which under chat load
            # cost up to 100 ms per message. One connection makes them queue in asyncio instead.
            kwargs["pool_size"] = 1
            kwargs["max_overflow"] = 0
            kwargs["pool_timeout"] = 30
            # Every session ends its transaction itself (commit, or rollback on close): the pool's extra
            # rollback on return is one more trip to aiosqlite's thread per transaction, for nothing.
            kwargs["pool_reset_on_return"] = None
    else:
        # A connection PostgreSQL dropped (a restart, a failover) is found and replaced before use.
        kwargs["pool_pre_ping"] = True
        if "+asyncpg" in settings.url:
            # One name per engine, so one process sees in pg_stat_activity whether others of the
            # deployment are alive (crash recovery waits for their in-flight answers; bot/recovery.py).
            name = f"{APPLICATION_NAME} {uuid.uuid4().hex[:12]}"
            kwargs["connect_args"] = {"server_settings": {"application_name": name}}
    engine = create_async_engine(settings.url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if not _in_memory(settings.url):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Deleted and overwritten content is zeroed, not left in free pages (an erased customer's data
            # must not stay readable in the file: router/privacy/erase.py).
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
