"""The Slack channel: slack-bolt's `AsyncApp` inside Kundresa's aiohttp application.

- HTTP mode: Slack posts to `POST /slack/events`; bolt checks the signature (bad or stale: 401).
- Socket Mode (`slack.socket_mode = true`): bolt's `AsyncSocketModeHandler` on slack-sdk's aiohttp client.
Both modes dispatch to the listeners `register_listeners` adds. Every listener acks at once and runs its
work in a task (Slack wants an answer within 3 s); retried events are dropped by `event_id`
(`ProcessedEvent`). Customers: `slack_customers`; agents: `slack_agents`; docs/slack.md tells the setup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.app_keys import CHANNELS, DIALOGUE, KB, ROUTER, SETTINGS
from bot.channels.slack_agents import FROM_SLACK, SlackAgents
from bot.channels.slack_customers import SlackCustomers, render_frame
from bot.dialogue import Dialogue
from config import ConfigError, Settings
from config.settings import SlackSettings
from knowledge import KnowledgeBase
from router.service import Router

log = logging.getLogger("kundresa.slack")
CACHE_SECONDS = 3600.0  # users.info and conversations.info answers are kept this long
MISS_SECONDS = 300.0
DEDUPE_KEEP = timedelta(days=1)  # Slack retries within minutes; older event ids are forgotten


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str | None
    email: str | None
    team_id: str | None


class TTLCache:
    """Answers of the Web API kept in memory for a while (per process)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> tuple[bool, Any]:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, value: Any, seconds: float) -> None:
        if len(self._items) > 10_000:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v[0] >= now}
        self._items[key] = (time.monotonic() + seconds, value)


class KeyedLocks:
    """One lock per key (a Slack user), dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class UserDirectory:
    """`users.info`, cached: the name and (verified) email of a Slack user."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.cache = TTLCache()

    async def get(self, user_id: str) -> SlackUser | None:
        found, user = self.cache.get(user_id)
        if found:
            return user
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            self.cache.put(user_id, None, MISS_SECONDS)
            return None
        data = resp.get("user") or {}
        profile = data.get("profile") or {}
        email = profile.get("email")
        user = SlackUser(
            id=user_id,
            name=profile.get("real_name") or data.get("real_name") or profile.get("display_name") or None,
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            team_id=data.get("team_id"),
        )
        self.cache.put(user_id, user, CACHE_SECONDS)
        return user


def build_client(slack: SlackSettings) -> AsyncWebClient:
    """The Web API client: `api_base_url` from the settings; HTTP 429 is retried after `Retry-After`."""
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    client = AsyncWebClient(token=token, base_url=slack.api_base_url, timeout=30)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


def build_bolt_app(slack: SlackSettings, client: AsyncWebClient) -> AsyncApp:
    secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
    return AsyncApp(
        client=client,
        signing_secret=secret,  # never "" in HTTP mode (checked in add_slack); unused by Socket Mode
        logger=logging.getLogger("kundresa.slack.bolt"),
        name="kundresa",
    )


def register_listeners(bolt: AsyncApp, slack: SlackIntegration) -> list[str]:
    """The one set of listeners, for HTTP mode and Socket Mode alike; returns their names."""

    async def on_message(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.on_message_event(body), "message")

    async def on_choose(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.customers.on_choose(body), "choose")

    async def on_human(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.customers.on_human(body), "human")

    async def on_csat(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.customers.on_csat(body), "csat")

    async def on_claim(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.agents.on_button(body, "claim"), "claim")

    async def on_resolve(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.agents.on_button(body, "resolve"), "resolve")

    async def on_command(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        slack.spawn(slack.agents.on_command(body), "command")

    bolt.event("message")(on_message)
    bolt.action(re.compile(r"^kundresa_choose"))(on_choose)
    bolt.action("kundresa_human")(on_human)
    bolt.action(re.compile(r"^kundresa_csat"))(on_csat)
    bolt.action("kundresa_claim")(on_claim)
    bolt.action("kundresa_resolve")(on_resolve)
    bolt.command("/kundresa")(on_command)
    return [f.__name__ for f in (on_message, on_choose, on_human, on_csat, on_claim, on_resolve, on_command)]


class SlackChannel:
    """`router.channel.Channel` for Slack customers: a frame becomes a message in their thread."""

    name = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        if frame.get("type") == "typing":
            return False  # ephemeral "someone is writing": Slack shows a bot no such thing, never a message
        channel = address.get("channel")
        if not channel:
            return False
        message = render_frame(frame)
        if message is None:
            return True  # nothing a customer sees (an internal note)
        args: dict[str, Any] = {"channel": channel, **message}
        if address.get("thread_ts"):
            args["thread_ts"] = address["thread_ts"]
        await self.client.chat_postMessage(**args)
        return True


class SlackIntegration:
    """Everything Slack in one process: Web API client, bolt app, both sides' handlers, background tasks."""

    def __init__(self, settings: Settings, router: Router, dialogue: Dialogue, kb: KnowledgeBase) -> None:
        self.settings = settings
        self.slack = settings.slack
        self.router, self.dialogue, self.kb = router, dialogue, kb
        self.client = build_client(self.slack)
        self.users = UserDirectory(self.client)
        self.channels = TTLCache()
        self.channel = SlackChannel(self.client)
        self.customers = SlackCustomers(self)
        self.agents = SlackAgents(self)
        self.bolt = build_bolt_app(self.slack, self.client)
        self.listeners = register_listeners(self.bolt, self)
        self.socket_handler: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._detach: list[Any] = []
        self._http: aiohttp.ClientSession | None = None
        self._marked = 0
        self.senders = KeyedLocks()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def make_socket_handler(self) -> AsyncSocketModeHandler:
        assert self.slack.app_token is not None
        return AsyncSocketModeHandler(
            self.bolt, app_token=self.slack.app_token.get_secret_value(), web_client=self.client
        )

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        self.client.session = self._http  # one connection pool for every Web API call
        if self.slack.agents_channel:
            self._detach = self._listen_local()
        else:
            log.warning("slack.agents_channel is not set: handoffs are not posted to Slack")
        await self.router.forget_processed("slack", DEDUPE_KEEP)
        if self.slack.socket_mode:
            self.socket_handler = self.make_socket_handler()
            await self.socket_handler.connect_async()
            log.info("Slack Socket Mode connected")

    def _listen_local(self) -> list[Any]:
        """Ticket and conversation events of this process only: with several processes on PostgreSQL,
        each event is posted to Slack once, by the process where it happened."""

        async def forward(topic: str, data: dict[str, Any]) -> None:
            if topic == "tickets":
                self.spawn(self.agents.on_tickets(dict(data)), "ticket post")
            elif topic == "conversation" and not FROM_SLACK.get():
                self.spawn(self.agents.on_conversation(dict(data)), "thread mirror")

        bus = self.router.bus
        bridge = getattr(bus, "bridge", None)  # the bus's hook for events published in this process
        if bridge is not None:
            return [bridge(forward)]
        return [bus.subscribe("tickets", forward), bus.subscribe("conversation", forward)]

    async def close(self) -> None:
        for detach in self._detach:
            detach()
        self._detach = []
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
            self.socket_handler = None
        if self._tasks:  # let work already acknowledged to Slack finish
            _, pending = await asyncio.wait(set(self._tasks), timeout=10)
            for task in pending:
                task.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(work, name), name=f"slack-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until the background work started so far (and what it starts) is done (for tests)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except SlackApiError as exc:
            log.error("Slack %s failed: %s", name, exc.response.get("error"))
        except Exception:
            log.exception("Slack %s failed", name)

    # -- events ------------------------------------------------------------------------------------------
    async def on_message_event(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return  # other bots (our own messages bolt drops before they get here)
        # One sender's messages are handled one at a time, in the order they arrived (asyncio.Lock is
        # first come, first served, and this is the task's first wait).
        sender = str(event.get("user") or (event.get("message") or {}).get("user") or event.get("channel"))
        async with self.senders.hold(sender):
            await self._on_message_event(body, event)

    async def _on_message_event(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = body.get("event_id")
        if event_id and not await self.router.mark_processed("slack", str(event_id)):
            log.info("Slack event %s was handled already (a retry); skipped", event_id)
            return
        self._marked += 1
        if self._marked % 1000 == 0:
            await self.router.forget_processed("slack", DEDUPE_KEEP)
        if self.slack.agents_channel and event.get("channel") == self.slack.agents_channel:
            await self.agents.on_message(event)
        else:
            await self.customers.on_message(body, event)

    async def channel_info(self, channel: str) -> dict[str, Any]:
        found, info = self.channels.get(channel)
        if found:
            return info
        try:
            resp = await self.client.conversations_info(channel=channel)
            info = dict(resp.get("channel") or {})
        except SlackApiError as exc:
            log.warning("conversations.info for %s failed: %s", channel, exc.response.get("error"))
            self.channels.put(channel, {}, MISS_SECONDS)
            return {}
        self.channels.put(channel, info, CACHE_SECONDS)
        return info


SLACK = web.AppKey("slack", SlackIntegration)


async def slack_events(request: web.Request) -> web.Response:
    """`POST /slack/events`: bolt verifies the signature (401 otherwise) and dispatches."""
    slack = request.app[SLACK]
    if slack.slack.socket_mode:
        raise web.HTTPNotFound(reason="Slack runs in Socket Mode here")
    bolt_response = await slack.bolt.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


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
