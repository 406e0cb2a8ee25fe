"""The Slack channel's life in the app: slack-bolt's `AsyncApp` inside Kundresa's aiohttp application.

- HTTP mode: Slack posts to `POST /slack/events` (`inbound`: signature checked first, 401 otherwise).
- Socket Mode (`slack.socket_mode = true`): bolt's `AsyncSocketModeHandler` on slack-sdk's aiohttp client.

Both modes reach the same listeners, which store what came (`work`, table `inbox_items`) and only then
acknowledge it; a worker does the work afterwards and marks it done only when it is done, retrying what
failed (Slack's API away, rate limits, the database away) with backoff. Replies to customers and posts in
the agents' channel are stored work too, so a Slack outage delays them and loses none. A retried delivery
of a stored event is acknowledged again and not done twice. Customers: `customers`; agents: `agents`;
docs/slack.md tells the setup. Here: `SlackIntegration` (everything Slack in one process), its
`cleanup_ctx` and `add_slack`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot.app_keys import DIALOGUE
from bot.channels.slack.agents import FROM_SLACK, SlackAgents
from bot.channels.slack.client import build_client
from bot.channels.slack.customers import SlackCustomers
from bot.channels.slack.identity import SlackDirectory, SlackUser
from bot.channels.slack.inbound import build_bolt_app, receive_events, register_listeners
from bot.channels.slack.outbound import SlackChannel
from bot.channels.slack.work import SlackWork, is_bot_message
from bot.dialogue import Dialogue
from config import ConfigError, Settings
from infra.app_keys import SETTINGS
from knowledge import KnowledgeBase
from router.service import Router
from router.web import CHANNELS, KB, ROUTER

__all__ = ["SLACK", "SlackIntegration", "add_slack", "slack_ctx", "slack_events"]

log = logging.getLogger("kundresa.slack")
TICKET_EVENTS = ("opened", "reopened", "claimed", "resolved", "transferred", "message")


class SlackIntegration:
    """Everything Slack in one process: Web API client, bolt app, both sides' handlers, the worker."""

    def __init__(self, settings: Settings, router: Router, dialogue: Dialogue, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.slack = settings.slack
        self.signing_secret = (
            self.slack.signing_secret.get_secret_value() if self.slack.signing_secret else ""
        )
        self.router, self.dialogue, self.kb = router, dialogue, kb
        metrics = getattr(dialogue, "metrics", None)  # failed Web API calls are counted (bot/metrics.py)
        self.client = build_client(self.slack, on_error=metrics.slack_api_error if metrics else None)
        self.directory = SlackDirectory(self.client, log)
        self.work = SlackWork(self)
        self.channel = SlackChannel(self.work)
        self.customers = SlackCustomers(self)
        self.agents = SlackAgents(self)
        self.bolt = build_bolt_app(self.slack)
        self.listeners = register_listeners(self.bolt, self)
        self.socket_handler: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._detach: list[Any] = []
        self._http: aiohttp.ClientSession | None = None
        self._local_order = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def make_socket_handler(self) -> AsyncSocketModeHandler:
        if self.slack.app_token is None:  # `add_slack` refuses Socket Mode without one
            raise ConfigError("slack.socket_mode needs slack.app_token (an xapp-… app-level token)")
        return AsyncSocketModeHandler(
            self.bolt, app_token=self.slack.app_token.get_secret_value(), web_client=self.client
        )

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        self.client.session = self._http  # one connection pool for every Web API call
        self.work.start()  # first: what earlier runs stored and never finished is done now
        if self.slack.agents_channel:
            self._detach = self._listen_local()
        else:
            log.warning("slack.agents_channel is not set: handoffs are not posted to Slack")
        if self.slack.socket_mode:
            self.socket_handler = self.make_socket_handler()
            try:
                await self.socket_handler.connect_async()
            except BaseException:  # the app does not start, and its cleanup (close) will not run
                await self.close()
                raise
            log.info("Slack Socket Mode connected")

    def _listen_local(self) -> list[Any]:
        """Ticket and conversation events of this process only: with several processes on PostgreSQL,
        each event is posted to Slack once, by the process where it happened."""

        async def forward(topic: str, data: dict[str, Any]) -> None:
            if topic == "tickets" and data.get("event") in TICKET_EVENTS:
                self.spawn(self._store_local("tickets", dict(data)), "ticket post")
            elif topic == "conversation" and not FROM_SLACK.get():
                self.spawn(self._store_local("conversation", dict(data)), "thread mirror")

        bus = self.router.bus
        bridge = getattr(bus, "bridge", None)  # the bus's hook for events published in this process
        if bridge is not None:
            return [bridge(forward)]
        return [bus.subscribe("tickets", forward), bus.subscribe("conversation", forward)]

    async def _store_local(self, kind: str, data: dict[str, Any]) -> None:
        # Stored in the order the events happened: asyncio.Lock is first come, first served, and this is
        # the task's first wait. The worker then posts them in that order (one lane).
        async with self._local_order:
            if kind == "conversation" and not await self.agents.mirrors(data):
                return  # most messages: no ticket thread in Slack to show them in
            await self.work.local(kind, data)

    async def close(self) -> None:
        for detach in self._detach:
            detach()
        self._detach = []
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
            self.socket_handler = None
        if self._tasks:  # events of this process still being stored
            _, pending = await asyncio.wait(set(self._tasks), timeout=10)
            for task in pending:
                task.cancel()
        await self.work.stop()  # running jobs finish (or are handed back); the rest stays stored
        if self._http is not None:
            await self._http.close()
            self._http = None

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(work, name), name=f"slack-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until the Slack work stored so far (and what it leads to) is done (for tests)."""
        while True:
            while self._tasks:
                await asyncio.wait(set(self._tasks))
            await self.work.worker.drain()
            if not self._tasks:
                return

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception:
            log.exception("Slack %s could not be stored; it is not posted", name)

    # -- what the worker does ----------------------------------------------------------------------------
    async def on_message_event(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if is_bot_message(event):
            return  # other bots (our own messages are not even stored)
        if self.slack.agents_channel and event.get("channel") == self.slack.agents_channel:
            await self.agents.on_message(event)
        else:
            await self.customers.on_message(body, event)

    # -- the directory, under the names both sides use ---------------------------------------------------
    async def user(self, user_id: str) -> SlackUser | None:
        return await self.directory.user(user_id)

    async def channel_info(self, channel: str) -> dict[str, Any]:
        return await self.directory.channel(channel)


SLACK = web.AppKey("slack", SlackIntegration)


async def slack_events(request: web.Request) -> web.Response:
    """`POST /slack/events`: signature first (401), then bolt stores what came and answers (`inbound`)."""
    return await receive_events(request, request.app[SLACK])


async def slack_ctx(app: web.Application) -> AsyncIterator[None]:
    slack = SlackIntegration(app[SETTINGS], app[ROUTER], app[DIALOGUE], app[KB])
    app[CHANNELS].register(slack.channel)
    app[SLACK] = slack
    await slack.start()
    yield
    await slack.close()


def add_slack(app: web.Application, settings: Settings) -> None:
    """Slack on this app: the channel, its listeners and `POST /slack/events`. Call after the router."""
    slack = settings.slack
    if slack.socket_mode and not (slack.app_token and slack.app_token.get_secret_value()):
        raise ConfigError("slack.socket_mode needs slack.app_token (an xapp-… app-level token)")
    if not slack.socket_mode and not (slack.signing_secret and slack.signing_secret.get_secret_value()):
        raise ConfigError("Slack in HTTP mode needs slack.signing_secret (from the app's Basic Information)")
    app.cleanup_ctx.append(slack_ctx)
    app.router.add_post("/slack/events", slack_events)
