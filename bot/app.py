"""The aiohttp application factory: `create_app(settings)`; nothing is built at import time."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bot.app_keys import DIALOGUE, EMBEDDER, METRICS, WEBCHAT
from bot.app_metrics import metrics_ctx, register_readers
from bot.channels.webchat import WebChatChannel, chat_handler
from bot.channels.webchat.limits import SocketPacer
from bot.dialogue import Dialogue
from bot.drain import CHAT_SOCKET, Drain
from bot.http import admin, articles, health, pages, proactive, search
from bot.knowledge_sync import share_knowledge_changes
from bot.logs import request_id_middleware
from bot.metrics import Metrics
from bot.recovery import Recovery
from config import Settings
from config.settings import check_secrets
from infra.app_keys import ENGINE, SESSIONS, SETTINGS
from infra.db import create_engine, create_sessionmaker
from infra.db_errors import database_unavailable, db_unavailable_middleware, socket_database_unavailable
from infra.gc_policy import GCPauses, GCPolicy
from infra.migrate import upgrade
from infra.startup_lock import startup_lock
from knowledge import Embedder, KnowledgeBase
from knowledge.formats import read_articles
from router import admin_api as router_admin
from router import api as router_api
from router import console as router_console
from router.channel import ChannelRegistry
from router.events import EventBus
from router.install_secrets import fill_demo_secrets
from router.pg_events import is_postgres, pg_events_ctx
from router.service import Router
from router.token_guard import TOKEN_GUARD, TokenGuard
from router.web import BUS, CHANNELS, KB, ROUTER, error_middleware

log = logging.getLogger("kundresa")
DEMO_KB = Path(__file__).resolve().parent.parent / "knowledge" / "demo"
DRAIN = web.AppKey("drain", Drain)
RECOVERY = web.AppKey("recovery", Recovery)
GC_POLICY = web.AppKey("gc_policy", GCPolicy)


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database)
    await upgrade(engine)  # idempotent; a fresh database is ready without a separate step
    if settings.demo:  # generated once per installation, stored: restarts and other processes share them
        filled = await fill_demo_secrets(engine, settings)
        log.warning(
            "DEMO MODE is on: %s generated and stored in the database (table install_secrets). "
            "Not for production: set demo = false (KUNDRESA_DEMO=false) and your own secrets.",
            ", ".join(filled) or "no secret",
        )
    app[ENGINE] = engine
    app[SESSIONS] = create_sessionmaker(engine)
    yield
    await engine.dispose()


async def _knowledge(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    embedder = Embedder(settings.model)
    # English questions' second model (model.english; knowledge/ensemble.py): one worker of its own.
    english = settings.model.english
    second = (
        Embedder(settings.model.model_copy(update={"name": english, "processes": 1})) if english else None
    )
    began = time.monotonic()
    await embedder.start()
    if second is not None:
        await second.start()
    model_seconds = time.monotonic() - began
    kb = KnowledgeBase(app[SESSIONS], embedder, settings.search, second)
    app[EMBEDDER] = embedder
    app[KB] = kb
    loaded = False
    if settings.server.load_demo_kb:
        # One process imports; others started with it wait, then find the articles there.
        async with startup_lock(app[ENGINE], "demo knowledge base import"):
            if await kb.is_empty():
                report = await kb.import_articles(read_articles(DEMO_KB), author="demo")
                log.info("loaded the demo knowledge base: %d articles", len(report.created))
                loaded = True
    if not loaded:
        await kb.refresh()
    # What a (re)start waits for, for whoever tunes it: the model worker dominates (importing torch and
    # loading the model in a fresh process).
    kb_seconds = time.monotonic() - began - model_seconds
    log.info("model worker ready in %.1f s, knowledge base in %.1f s more", model_seconds, kb_seconds)
    yield
    await kb.close()
    await embedder.close()
    if second is not None:
        await second.close()


async def _router(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    channels = ChannelRegistry()
    chat = settings.chat
    pacer = SocketPacer(
        chat.new_sockets_per_second, chat.new_sockets_burst, chat.new_sockets_max_loop_lag_ms / 1000
    )
    webchat = WebChatChannel(settings.server.trusted_proxies, pacer)
    channels.register(webchat)
    bus = EventBus()
    router = Router(app[SESSIONS], settings, channels, bus)
    app[CHANNELS], app[BUS], app[ROUTER], app[WEBCHAT] = channels, bus, router, webchat
    app[DIALOGUE] = Dialogue(router, app[KB], settings)
    app[DRAIN].turns = app[DIALOGUE].turns  # what SIGTERM waits for
    unwire = share_knowledge_changes(app[KB], bus)  # other processes' article changes reach this index
    yield
    unwire()
    await webchat.close_all()
    await pacer.close()


async def _recovery(app: web.Application) -> AsyncIterator[None]:
    """Crash recovery (bot/recovery.py): answers what a crashed process left unanswered, in the background."""
    recovery = Recovery(app[DIALOGUE], app[ENGINE], app[SESSIONS], app[SETTINGS].recovery)
    recovery.attach()
    recovery.start()
    app[RECOVERY] = recovery
    yield
    await recovery.close()


async def _gc_policy(app: web.Application) -> AsyncIterator[None]:
    """The garbage collector's settings (infra/gc_policy.py), once everything start-up builds is there;
    each collection's pause goes to `kundresa_gc_pause_seconds`."""
    pauses = GCPauses(app[METRICS].gc_pauses.observe)
    pauses.attach()
    policy = GCPolicy(app[SETTINGS].gc, quiet=app[DIALOGUE].turns.idle)
    policy.apply()
    app[GC_POLICY] = policy
    yield
    await policy.restore()
    pauses.detach()


async def ws_chat(request: web.Request) -> web.StreamResponse:
    app = request.app
    if app[DRAIN].draining:  # a keep-alive connection asking after SIGTERM: elsewhere, or in a moment
        return app[DRAIN].refuse()
    try:
        return await chat_handler(request, app[WEBCHAT], app[ROUTER], app[DIALOGUE], app[SETTINGS])
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("database unavailable on a chat socket: %s", exc.__class__.__name__)
        return await socket_database_unavailable(request.get(CHAT_SOCKET))


def create_app(settings: Settings) -> web.Application:
    check_secrets(settings)  # outside demo mode: no enabled feature without the secret it needs
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware, db_unavailable_middleware],
        client_max_size=settings.server.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[TOKEN_GUARD] = TokenGuard.of(settings.server)  # wrong API tokens per client address: then 429
    app[METRICS] = Metrics()  # a registry of this app's own: tests build many apps in one process
    register_readers(app, app[METRICS])
    app[DRAIN] = Drain(settings.recovery.drain_seconds)
    app[DRAIN].install(app)  # SIGTERM: turns in progress finish, chat sockets close with 1012
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_knowledge)
    app.cleanup_ctx.append(_router)
    app.cleanup_ctx.append(metrics_ctx)  # before Slack: its client reports errors to the metrics
    if settings.email.enabled:  # replies by email to web chat customers who have left (bot/channels/email/)
        from bot.channels.email import email_ctx

        app.cleanup_ctx.append(email_ctx)
    if is_postgres(settings.database.url):  # events reach the sockets other processes hold
        app.cleanup_ctx.append(pg_events_ctx)
    app.cleanup_ctx.append(_recovery)  # after the events bridge: recovered answers reach every process
    if settings.slack.enabled:  # Slack customers and agents, POST /slack/events (docs/slack.md)
        from bot.channels.slack import add_slack

        add_slack(app, settings)
    app.router.add_get("/ws/chat", ws_chat)
    pages.add_routes(app)
    health.add_routes(app, draining=lambda: app[DRAIN].draining)
    articles.add_routes(app)
    search.add_routes(app)
    router_api.add_routes(app)
    router_admin.add_routes(app)  # VIP, merges, users; analytics and gaps
    router_console.add_routes(app)
    proactive.add_routes(app)  # shop events, proactive rules, insights (README: Shop events)
    admin.add_routes(app)  # the admin console /admin and its import/export/health API
    app.cleanup_ctx.append(_gc_policy)  # last: after everything start-up builds
    return app
