"""Secrets generated once per installation and kept in the database (table `install_secrets`).

Demo mode needs an identity secret so `make run` works with no configuration. A constant in the code would
be public (anyone could sign any customer), and a secret random per process would break every signed
session on a restart and differ between the processes of one deployment. So the first process to start
generates it and stores it; every other process, now or after a restart, reads the same one. Two processes
starting together both try to insert (`ON CONFLICT DO NOTHING`), then both read the row that won.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from config import ConfigError, Settings
from infra.db import Base, utcnow

__all__ = ["InstallSecret", "fill_demo_secrets", "stored_secret"]

log = logging.getLogger("kundresa")


class InstallSecret(Base):
    """One generated secret of this installation, by name (e.g. `chat.identity_secret`)."""

    __tablename__ = "install_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def stored_secret(engine: AsyncEngine, name: str) -> str:
    """The installation's secret `name`: generated and stored by the first caller, the same for all."""
    dialect = engine.dialect.name
    row = {"name": name, "value": secrets.token_urlsafe(32), "created_at": utcnow()}  # 256 random bits
    statement: Any
    if dialect == "postgresql":
        statement = pg_insert(InstallSecret).values(**row).on_conflict_do_nothing(index_elements=["name"])
    elif dialect == "sqlite":
        statement = sqlite_insert(InstallSecret).values(**row).on_conflict_do_nothing(index_elements=["name"])
    else:  # pragma: no cover - Kundresa runs on SQLite and PostgreSQL only
        raise ConfigError(f"install secrets: unsupported database {dialect!r}")
    async with engine.begin() as conn:
        await conn.execute(statement)
    async with engine.connect() as conn:
        value = await conn.scalar(select(InstallSecret.value).where(InstallSecret.name == name))
    if not value:  # pragma: no cover - the row was just inserted or was there
        raise ConfigError(f"install secret {name!r} could not be stored")
    return str(value)


async def fill_demo_secrets(engine: AsyncEngine, settings: Settings) -> list[str]:
    """In demo mode, the secrets not configured, from the database (made there once); their names."""
    filled: list[str] = []
    if settings.demo and settings.chat.identity_secret is None:
        settings.chat.identity_secret = SecretStr(await stored_secret(engine, "chat.identity_secret"))
        filled.append("chat.identity_secret")
    if settings.demo and settings.proactive.events_secret is None:
        settings.proactive.events_secret = SecretStr(await stored_secret(engine, "proactive.events_secret"))
        filled.append("proactive.events_secret")
    return filled
