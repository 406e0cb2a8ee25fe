"""Alembic environment: async engine from Kundresa's settings, metadata of every package."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from config import DatabaseSettings
from infra.db import Base, create_engine

config = context.config
# Upgrades need no models; `target_metadata` is for comparisons (tests/infra/test_migrations.py):
# whoever compares imports every package's models first, which registers their tables on `Base.metadata`.
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(DatabaseSettings(url=config.get_main_option("sqlalchemy.url") or ""))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connectable = config.attributes.get("connection")
if connectable is not None:
    _run(connectable)
else:
    asyncio.run(_run_async())
