"""The app's metrics wired to its parts: counters fed by the dialogue, the bus and the model's batcher;
gauges read from the app's state when `/metrics` is scraped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable

from aiohttp import web
from prometheus_client import GCCollector, PlatformCollector, ProcessCollector
from sqlalchemy import func, select

from bot.app_keys import DIALOGUE, EMBEDDER, METRICS, WEBCHAT
from bot.metrics import Metrics
from infra.app_keys import SESSIONS
from router.console_ws import CONSOLES
from router.models import TICKET_STATUSES, Ticket
from router.web import BUS

__all__ = ["metrics_ctx", "refresh", "register_readers"]

log = logging.getLogger("kundresa.metrics")
TICKET_COUNT_SECONDS = 2.0  # a scrape gives up on the ticket count after this (the rest still answers)
Sample = tuple[tuple[str, ...], float]


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """`cleanup_ctx`, right after the router's: before Slack builds its client on the dialogue's metrics."""
    metrics = app[METRICS]
    app[DIALOGUE].metrics = metrics
    detach = metrics.watch_bus(app[BUS])
    batcher = app[EMBEDDER].batcher
    if batcher is not None:
        batcher.on_batch = metrics.model_batch
    yield
    detach()
    if batcher is not None:
        batcher.on_batch = None


def register_readers(app: web.Application, metrics: Metrics) -> None:
    """The gauges read at scrape time (nothing on the hot path); before start-up they read nothing."""

    def sockets() -> Iterable[Sample]:
        webchat, consoles = app.get(WEBCHAT), app.get(CONSOLES)
        yield ("widget",), float(len(webchat.sessions) if webchat is not None else 0)
        yield ("agent",), float(len(consoles) if consoles is not None else 0)

    def queue() -> Iterable[Sample]:
        embedder = app.get(EMBEDDER)
        batcher = embedder.batcher if embedder is not None else None
        if batcher is not None:
            yield (), float(batcher.queued)

    def workers() -> Iterable[Sample]:
        embedder = app.get(EMBEDDER)
        if embedder is not None:
            for i, state in enumerate(embedder.health()["workers"]):
                yield (str(i),), 1.0 if state == "up" else 0.0

    def restarts() -> float | None:
        embedder = app.get(EMBEDDER)
        return float(embedder.restarts) if embedder is not None else None

    def tickets() -> Iterable[Sample]:
        for status, count in metrics.tickets.items():
            yield (status,), float(count)

    # The process's CPU, memory and file descriptors, Python's version and collections: read at scrape time.
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=metrics.registry)
    scraped = metrics.scraped
    scraped.gauge(
        "kundresa_open_sockets", "Open WebSockets: customers' (widget) and agents'.", ["kind"], sockets
    )
    scraped.gauge("kundresa_model_queue_depth", "Questions waiting for the model now.", [], queue)
    scraped.gauge(
        "kundresa_model_worker_up", "Model workers able to encode now (1) or not (0).", ["worker"], workers
    )
    scraped.counter(
        "kundresa_model_worker_restarts", "Model worker processes replaced after dying.", restarts
    )
    scraped.gauge(
        "kundresa_tickets",
        "Tickets by status (the whole deployment: counted in the database).",
        ["status"],
        tickets,
    )


async def refresh(app: web.Application) -> None:
    """Before rendering: what only the database knows (tickets by status: one grouped count, on an index).
    The database away leaves the ticket gauges out of this scrape rather than failing it."""
    metrics = app[METRICS]
    sessions = app.get(SESSIONS)
    if sessions is None:
        return
    try:
        async with asyncio.timeout(TICKET_COUNT_SECONDS), sessions() as session:
            rows = (await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))).all()
    except Exception as exc:  # the database away or slow: a scrape still answers
        log.warning("metrics: tickets by status not counted: %s", exc.__class__.__name__)
        metrics.tickets = {}
        return
    counts = dict.fromkeys(TICKET_STATUSES, 0)
    counts.update({str(status): int(n) for status, n in rows})
    metrics.tickets = counts
