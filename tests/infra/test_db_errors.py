"""infra/db_errors.py: which errors mean "the database is away" (503 with Retry-After, logged without a
traceback) and which stay bugs, behind a small aiohttp app (the whole app with PostgreSQL going away:
tests/test_postgres_outage.py)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import exc as sa_exc

from infra.db_errors import database_unavailable, db_unavailable_middleware
from router.errors_mw import error_middleware


def locked_error() -> BaseException:
    """What SQLAlchemy raises when another SQLite writer held the file past the busy timeout (built here: a
    real one takes the 30 s busy timeout of `create_engine`)."""
    return sa_exc.OperationalError(
        "INSERT INTO t VALUES (1)", {}, sqlite3.OperationalError("database is locked")
    )


def test_a_locked_sqlite_file_and_a_lost_connection_are_unavailable() -> None:
    assert database_unavailable(locked_error())
    lost = sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert database_unavailable(lost)
    try:
        raise ValueError("in the handler") from lost
    except ValueError as chained:
        assert database_unavailable(chained)  # found through the cause


def test_bugs_and_oserrors_outside_the_driver_stay_bugs() -> None:
    assert not database_unavailable(ZeroDivisionError())
    assert not database_unavailable(sa_exc.IntegrityError("INSERT", {}, Exception("UNIQUE")))
    try:
        raise OSError("a file the handler opened")
    except OSError as here:
        assert not database_unavailable(here)  # raised here, not in a database driver


@pytest.fixture
async def client(aiohttp_client: Any) -> Any:
    locked = locked_error()

    async def away(request: web.Request) -> web.Response:
        raise locked

    async def bug(request: web.Request) -> web.Response:
        raise KeyError("a bug")

    app = web.Application(middlewares=[error_middleware, db_unavailable_middleware])
    app.router.add_get("/away", away)
    app.router.add_get("/bug", bug)
    return await aiohttp_client(app)


async def test_the_middleware_answers_503_with_retry_after(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    resp = await client.get("/away")
    assert resp.status == 503 and resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"]["code"] == "database_unavailable"
    assert not [r for r in caplog.records if r.exc_info]  # a warning line, no traceback
    resp = await client.get("/bug")
    assert resp.status == 500 and (await resp.json())["error"]["code"] == "internal_error"
