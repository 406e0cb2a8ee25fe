"""Slack work, stored before Slack hears "ok" and done afterwards, at least once (`router.inbox`).

Rows of `inbox_items` with source "slack", by kind:

| kind | payload | lane (done in order within) | key |
|---|---|---|---|
| event | an Events API body (a customer's or an agent's message) | the sender | `event_id` |
| action | `{"handler": "choose"…, "body": a block_actions payload}` | who clicked | `trigger_id` |
| command | a `/kundresa` slash command | who typed it | `trigger_id` |
| call | `{"method", "args"}`: a Web API call (a reply, a post) | the conversation, or "agents" | see below |
| tickets, conversation | a local bus event to show in the agents' channel | "agents" | random |

A reply to a customer is keyed by its conversation and seq, so delivering one frame twice posts it once.
A call made while doing another row is keyed by that row's key and a counter: when the row is done again
after a failure, its calls are stored again under the same keys, and so only once.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.channels.slack.client import classify_slack
from config import UnavailableError, ValidationError
from router.inbox import InboxStore, Job
from router.inbox_worker import InboxWorker, RetryPolicy

if TYPE_CHECKING:
    from bot.channels.slack.lifecycle import SlackIntegration

log = logging.getLogger("kundresa.slack")
SOURCE = "slack"
AGENTS_LANE = "agents"  # every post in the agents' channel, in the order it happened


@dataclass
class _Doing:
    """The row being done in this task: the base of the keys of the calls it stores."""

    key: str
    attempts: int
    calls: int = 0

    def next_key(self) -> str:
        self.calls += 1
        return f"{self.key}>{self.calls}"


_DOING: contextvars.ContextVar[_Doing | None] = contextvars.ContextVar("kundresa_slack_doing", default=None)


def is_bot_message(event: dict[str, Any]) -> bool:
    """Our own replies and other bots' messages, and edits of them (our `chat.update`s): Slack sends them
    as events too; there is nothing to do for them."""
    if event.get("bot_id") or event.get("subtype") == "bot_message":
        return True
    return event.get("subtype") == "message_changed" and bool((event.get("message") or {}).get("bot_id"))


class SlackWork:
    """Stores Slack work (what the listeners and the channel hand over) and does it (the worker)."""

    def __init__(self, core: SlackIntegration) -> None:
        self.core = core
        self._store: InboxStore | None = None
        self._worker: InboxWorker | None = None
        self.policy = RetryPolicy()

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._store = InboxStore(self.core.router.sessions, SOURCE)
        self._worker = InboxWorker(self._store, self.handle, classify=classify_slack, policy=self.policy)
        self._worker.start()

    async def stop(self) -> None:
        if self._worker is not None:
            await self._worker.stop()

    @property
    def store(self) -> InboxStore:
        if self._store is None:
            raise UnavailableError("Slack work is stored only between SlackIntegration.start() and close()")
        return self._store

    @property
    def worker(self) -> InboxWorker:
        if self._worker is None:
            raise UnavailableError("the Slack worker runs only between SlackIntegration.start() and close()")
        return self._worker

    # -- storing -----------------------------------------------------------------------------------------
    async def add(self, key: str, kind: str, lane: str, payload: dict[str, Any]) -> bool:
        """Store work; False (and nothing stored) when this key was stored before."""
        stored = await self.store.store(key, kind, lane, payload)
        if stored:
            self.worker.wake()
        return stored

    async def event(self, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if is_bot_message(event):
            return
        event_id = (
            body.get("event_id") or f"{event.get('channel')}:{event.get('event_ts') or event.get('ts')}"
        )
        sender = event.get("user") or (event.get("message") or {}).get("user") or event.get("channel")
        if not await self.add(f"event:{event_id}", "event", f"user:{sender}", body):
            log.info("Slack event %s was stored before (a retried delivery); acknowledged again", event_id)

    async def action(self, handler: str, body: dict[str, Any]) -> None:
        first = (body.get("actions") or [{}])[0]
        key = body.get("trigger_id") or f"{first.get('action_ts')}:{first.get('action_id')}"
        user = (body.get("user") or {}).get("id")
        if not await self.add(f"action:{key}", "action", f"user:{user}", {"handler": handler, "body": body}):
            log.info("Slack interaction %s was stored before; acknowledged again", key)

    async def command(self, body: dict[str, Any]) -> None:
        key = body.get("trigger_id") or uuid.uuid4().hex
        if not await self.add(f"command:{key}", "command", f"user:{body.get('user_id')}", body):
            log.info("Slack command %s was stored before; acknowledged again", key)

    async def reply(self, conversation_id: int, seq: int | None, args: dict[str, Any]) -> None:
        """A frame for a Slack customer, posted by the worker (in seq order, once per seq)."""
        key = f"reply:{conversation_id}:{seq}" if seq is not None else self._call_key()
        payload = {"method": "chat.postMessage", "args": args}
        await self.add(key, "call", f"conversation:{conversation_id}", payload)

    async def call(self, method: str, lane: str, **args: Any) -> None:
        """A Web API call whose answer nobody waits for, made (and retried) by the worker."""
        await self.add(self._call_key(), "call", lane, {"method": method, "args": args})

    async def local(self, kind: str, data: dict[str, Any]) -> None:
        """A bus event of this process to show in the agents' channel."""
        await self.add(f"{kind}:{uuid.uuid4().hex}", kind, AGENTS_LANE, data)

    @staticmethod
    def _call_key() -> str:
        doing = _DOING.get()
        return doing.next_key() if doing is not None else f"call:{uuid.uuid4().hex}"

    @staticmethod
    def retrying() -> bool:
        """True while doing a row that was tried before (a failure, or a process that died on it)."""
        doing = _DOING.get()
        return doing is not None and doing.attempts > 1

    # -- doing -------------------------------------------------------------------------------------------
    async def handle(self, job: Job) -> None:
        token = _DOING.set(_Doing(job.event_id, job.attempts))
        try:
            await self._dispatch(job)
        finally:
            _DOING.reset(token)

    async def _dispatch(self, job: Job) -> None:
        core, payload = self.core, job.payload
        if job.kind == "event":
            await core.on_message_event(payload)
        elif job.kind == "action":
            handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
                "choose": core.customers.on_choose,
                "human": core.customers.on_human,
                "csat": core.customers.on_csat,
                "claim": lambda body: core.agents.on_button(body, "claim"),
                "resolve": lambda body: core.agents.on_button(body, "resolve"),
            }
            handler = handlers.get(str(payload.get("handler")))
            if handler is None:
                raise ValidationError(
                    f"unknown Slack action handler {payload.get('handler')!r}", code="unknown_slack_work"
                )
            await handler(dict(payload["body"]))
        elif job.kind == "command":
            await core.agents.on_command(payload)
        elif job.kind == "call":
            await core.client.api_call(str(payload["method"]), json=dict(payload["args"]))
        elif job.kind == "tickets":
            await core.agents.on_tickets(payload)
        elif job.kind == "conversation":
            await core.agents.on_conversation(payload)
        else:
            raise ValidationError(
                f"unknown Slack work kind {job.kind!r} (stored by a newer version?)",
                code="unknown_slack_work",
            )
