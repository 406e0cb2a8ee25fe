"""Shared fixtures: test settings on a throwaway SQLite file, the real app, users with tokens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from config import Settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.settings_for import settings_for

REPO = Path(__file__).resolve().parent.parent
DEMO_KB = REPO / "knowledge" / "demo"
SHARED_DATA = REPO.parent / "shared" / "data"


def _test_settings(db: Path, **overrides: Any) -> Settings:
    """Test settings: SQLite at `db`, no environment leaking in, overrides as kwargs."""
    database = overrides.pop("database", {})
    return settings_for(database.pop("url", f"sqlite+aiosqlite:///{db}"), database=database, **overrides)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: SQLite in tmp_path, no environment leaking in, overrides as kwargs."""

    def make(**overrides: Any) -> Settings:
        return _test_settings(tmp_path / "kundresa.db", **overrides)

    return make


@pytest.fixture
def settings(demo_db_settings: Settings) -> Settings:
    """Default test settings, on a copy of the prepared demo database (`demo_db_file`): the app starts as
    on a fresh database, without importing and embedding the demo knowledge base again in every test."""
    return demo_db_settings


# -- a prepared SQLite database, copied per test ---------------------------------------------------------
@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database prepared once per session by the real app's start-up: migrated, the demo knowledge
    base imported and its embeddings cached. Read-only: tests get copies (`demo_db_settings`)."""
    from aiohttp import web

    from bot.app import create_app

    async def start_and_stop() -> None:
        runner = web.AppRunner(create_app(_test_settings(path)))
        await runner.setup()  # runs the cleanup contexts: migrate, load the demo knowledge base
        await runner.cleanup()

    path = tmp_path_factory.mktemp("demo-db") / "kundresa.db"
    asyncio.run(start_and_stop())
    return path


@pytest.fixture
def demo_db_settings(make_settings: Callable[..., Settings], demo_db_file: Path, tmp_path: Path) -> Settings:
    """conftest's settings, on this test's own copy of `demo_db_file` (so an app starts without
    re-embedding the demo). `make_settings` in the same test then points at that copy too."""
    with (
        contextlib.closing(sqlite3.connect(demo_db_file)) as src,
        contextlib.closing(sqlite3.connect(tmp_path / "kundresa.db")) as dst,
    ):
        src.backup(dst)
    return make_settings()


@pytest.fixture
async def sessions(tmp_path: Path) -> Any:
    """A migrated SQLite database of this test's own, without an app: its session factory."""
    from config import DatabaseSettings
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade

    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/models.db"))
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def app_client(aiohttp_client: Any, settings: Settings) -> Any:
    """The real app (demo knowledge base loaded) behind a test client."""
    from bot.app import create_app

    return await aiohttp_client(create_app(settings))


@pytest.fixture
def make_user(app_client: Any) -> Callable[..., Any]:
    """Create a user in the app's database; returns its bearer token."""
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    async def make(name: str, role: str, **kwargs: Any) -> str:
        async with app_client.app[SESSIONS]() as session, session.begin():
            _, token = await create_user(session, name, role, **kwargs)
        return token

    return make


@pytest.fixture
async def admin_headers(make_user: Callable[..., Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_user('ada', 'admin')}"}


@pytest.fixture
async def agent_headers(make_user: Callable[..., Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {await make_user('agnes', 'agent')}"}


# -- PostgreSQL (tests marked `postgres`) ----------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    """A throwaway PostgreSQL cluster for the whole session (Unix socket only); skips without binaries."""
    from tests.pg import PgCluster, find_bindir, missing_reason

    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    bindir = find_bindir()
    assert bindir is not None
    cluster = PgCluster(bindir)
    try:
        cluster.start()
        cluster.createdb("kundresa")
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster: Any) -> str:
    """`postgresql+asyncpg://postgres@/kundresa?host=<socket dir>` on the session's cluster."""
    return str(pg_cluster.url("kundresa"))


@pytest.fixture
async def pg_db_url(pg_cluster: Any) -> Any:
    """A fresh, empty database for one test (dropped afterwards); its SQLAlchemy URL."""
    name = await pg_cluster.create_database()
    try:
        yield pg_cluster.url(name)
    finally:
        await pg_cluster.drop_database(name)


@pytest.fixture(autouse=True)
def _forget_finished_apps() -> Any:
    """aiohttp caches each app's middleware chain in a module-level LRU of 1,024 (`_cached_build_middleware`,
    keyed by the app): in one server process that is one app, but a test worker builds hundreds, and each
    cached app keeps its knowledge index and model state alive (a worker grew past 9 GB and was killed)."""
    yield
    from aiohttp import web_app

    cache = getattr(web_app, "_cached_build_middleware", None)
    if cache is not None:
        cache.cache_clear()


def pytest_configure(config: pytest.Config) -> None:
    """Playwright's `expect` waits 5 s by default: on a loaded 2-core CI machine a page can take longer
    to react, so every browser assertion waits up to 30 s (a failing one still fails, only later)."""
    try:
        from playwright.async_api import expect
    except ImportError:
        return
    expect.set_options(timeout=30_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Any:
    """A teardown that hangs shows its pending asyncio tasks (tests/hang_report.py)."""
    from tests.hang_report import reporting_hangs

    with reporting_hangs(item.nodeid):
        return (yield)


@pytest.fixture(scope="session")
def pg_kb_template(pg_url: str) -> str:
    """The session database with the schema and the demo knowledge base, loaded by the real app's start-up
    (in a thread with its own event loop, whatever the test's is). Used as a template only."""
    import concurrent.futures

    from aiohttp import web
    from sqlalchemy import make_url

    from bot.app import create_app

    async def build() -> None:
        settings = settings_for(pg_url)
        runner = web.AppRunner(create_app(settings))
        await runner.setup()  # runs the cleanup_ctx: migrate, load the demo KB, start the bridge
        await runner.cleanup()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return str(make_url(pg_url).database)


@pytest.fixture
async def pg_kb_db_url(pg_cluster: Any, pg_kb_template: str) -> Any:
    """A database of this test's own with the schema and the demo knowledge base; its SQLAlchemy URL."""
    name = await pg_cluster.create_database(template=pg_kb_template)
    try:
        yield pg_cluster.url(name)
    finally:
        await pg_cluster.drop_database(name)


@pytest.fixture
async def two_routers(pg_db_url: str) -> Any:
    """Two `Router`s with engines, locks and buses of their own on one database: two processes' worth."""
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from router.channel import ChannelRegistry
    from router.events import EventBus
    from router.service import Router

    settings = settings_for(pg_db_url)
    engines = [create_engine(settings.database) for _ in range(2)]
    await upgrade(engines[0])
    routers = [Router(create_sessionmaker(e), settings, ChannelRegistry(), EventBus()) for e in engines]
    try:
        yield routers
    finally:
        for engine in engines:
            await engine.dispose()


# -- real `kundresa serve` processes (tests/servers.py) --------------------------------------------------
@pytest.fixture
def serve_process(tmp_path: Path) -> Any:
    """A factory: `serve_process({"database__url": url}, name="a")` → a started (not yet ready)
    `ServeProcess`; every one is killed, with its whole process group, when the test ends."""
    from tests.servers import ServeProcess

    started: list[ServeProcess] = []

    def start(settings: dict[str, Any], name: str = "serve") -> ServeProcess:
        server = ServeProcess(settings, tmp_path, name=f"{name}-{len(started)}").start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    """The fake Slack Web API on 127.0.0.1 (tests/fakes/slack_api.py), with no users; a folder or module
    that needs some overrides this fixture, asking for it by the same name."""
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.close()
