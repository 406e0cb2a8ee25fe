"""The Slack channel's way in: `POST /slack/events` (HTTP mode) or Socket Mode, into slack-bolt's app.

Every listener stores what Slack sent (`SlackWork`) and only then acknowledges it: bolt runs with
`process_before_response`, so the HTTP answer (or the Socket Mode ack) goes out after the listener has
returned. Slack hears "ok" for nothing that is not in the database; a request that could not be stored
gets a 500 and Slack sends it again. The work itself is done afterwards by the worker.

Bolt's default authorization calls `auth.test` on the first request, so with Slack's API away every
event was refused (500) and nothing was stored. Kundresa runs in one workspace with one bot token:
`authorize` answers from that token without asking Slack.

`POST /slack/events` checks the signature itself before bolt parses anything: an unsigned or stale
request gets 401 and a JSON error, however malformed its body (bolt parsed the body first, and garbage
ended in a 500 with a traceback).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from config.settings import SlackSettings
from router.web import error_response

if TYPE_CHECKING:
    from bot.channels.slack.lifecycle import SlackIntegration

log = logging.getLogger("kundresa.slack")
MAX_CLOCK_SKEW = 300  # seconds; Slack's advice: older requests may be replays


def build_bolt_app(slack: SlackSettings) -> AsyncApp:
    secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
    token = slack.bot_token.get_secret_value() if slack.bot_token else None

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # No `auth.test`: storing an event must not depend on Slack's API being reachable.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    return AsyncApp(
        signing_secret=secret,  # never "" in HTTP mode (checked in add_slack); unused by Socket Mode
        authorize=authorize,
        process_before_response=True,  # the listener (storing) runs before Slack gets its answer
        logger=logging.getLogger("kundresa.slack.bolt"),
        name="kundresa",
    )


def register_listeners(bolt: AsyncApp, slack: SlackIntegration) -> list[str]:
    """The one set of listeners, for HTTP mode and Socket Mode alike; returns their names."""

    async def on_message(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.event(body)
        await ack()

    async def on_choose(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.action("choose", body)
        await ack()

    async def on_human(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.action("human", body)
        await ack()

    async def on_csat(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.action("csat", body)
        await ack()

    async def on_claim(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.action("claim", body)
        await ack()

    async def on_resolve(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.action("resolve", body)
        await ack()

    async def on_command(ack: Any, body: dict[str, Any]) -> None:
        await slack.work.command(body)
        await ack()

    bolt.event("message")(on_message)
    bolt.action(re.compile(r"^kundresa_choose"))(on_choose)
    bolt.action("kundresa_human")(on_human)
    bolt.action(re.compile(r"^kundresa_csat"))(on_csat)
    bolt.action("kundresa_claim")(on_claim)
    bolt.action("kundresa_resolve")(on_resolve)
    bolt.command("/kundresa")(on_command)
    return [f.__name__ for f in (on_message, on_choose, on_human, on_csat, on_claim, on_resolve, on_command)]


def signature_problem(secret: str, headers: Any, raw: bytes, now: float | None = None) -> str | None:
    """Why this request is not from Slack (None when it is): Slack signs `v0:{timestamp}:{body}` with the
    app's signing secret (HMAC-SHA256, hex, prefixed `v0=`)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return "X-Slack-Request-Timestamp is not a number"
    if age > MAX_CLOCK_SKEW:
        return f"the request is {age:.0f} s old (more than {MAX_CLOCK_SKEW} s; check this server's clock)"
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
    if not hmac.compare_digest("v0=" + expected.hexdigest(), signature):
        return "the signature does not match (is slack.signing_secret the app's current signing secret?)"
    return None


async def receive_events(request: web.Request, slack: SlackIntegration) -> web.Response:
    """`POST /slack/events`: signature first (401), then bolt stores what came and answers."""
    if slack.slack.socket_mode:
        raise web.HTTPNotFound(reason="Slack runs in Socket Mode here")
    raw = await request.read()  # bounded by server.max_body_bytes
    problem = signature_problem(slack.signing_secret, request.headers, raw)
    if problem is not None:
        log.warning("refused a request to /slack/events from %s: %s", request.remote, problem)
        return error_response(401, "invalid_signature", f"not a request from Slack: {problem}")
    try:
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"),
            query=request.query_string,
            headers=dict(request.headers),
        )
    except Exception as exc:  # signed, but not what Slack sends (bad UTF-8, JSON, form; a list, a bomb)
        log.warning("a signed request to /slack/events could not be parsed: %s", exc)
        return error_response(400, "invalid_body", "the body is neither Slack JSON nor a form with a payload")
    return await to_aiohttp_response(await slack.bolt.async_dispatch(bolt_request))
