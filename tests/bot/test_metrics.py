"""`/metrics` through prometheus-client, scraped from the real app after a real web chat and a Slack event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import create_app
from bot.app_keys import METRICS
from bot.channels.slack import SLACK
from bot.metrics import Metrics
from config import Settings
from tests.bot.metrics_helpers import parse, scrape, value
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import CUSTOMER, DM, SECRET, dm, event_body, post_signed

ANSWERABLE = "hur lång är leveranstiden?"  # the demo KB answers it (Swedish)
HUMAN = "jag vill prata med en människa"  # the policy hands off: asked_for_human
SLACK_QUESTION = "Hur betalar jag med Swish?"
TIMEOUT = 30


async def frames_until(ws: Any, kind: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while not got or got[-1]["type"] != kind:
        got.append(await ws.receive_json(timeout=TIMEOUT))
        assert got[-1]["type"] != "error", got
    return got


@pytest.fixture
def fake_slack(fake_slack: FakeSlackAPI) -> FakeSlackAPI:
    """The root conftest's fake Slack, with these tests' users."""
    fake_slack.add_user(CUSTOMER, email="kim@example.com", name="Kim Kund")
    return fake_slack


@pytest.fixture
def slack_settings(
    demo_db_settings: Settings, make_settings: Callable[..., Settings], fake_slack: FakeSlackAPI
) -> Settings:
    # On the demo database copy (`make_settings` points there once `demo_db_settings` made it).
    slack = {"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base_url": fake_slack.base_url}
    return make_settings(slack=slack)


@pytest.fixture
async def client(fake_slack: FakeSlackAPI, slack_settings: Settings, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(slack_settings))  # closes before the fake Slack does


async def test_a_chat_and_a_slack_event_move_the_counters(client: Any, fake_slack: FakeSlackAPI) -> None:
    before = await scrape(client)
    assert value(before, "kundresa_open_sockets", kind="widget") == 0
    assert value(before, "kundresa_tickets", status="open") == 0

    ws = await client.ws_connect("/ws/chat", params={"visitor": "metrics-visitor", "lang": "sv"})
    await ws.send_json({"type": "message", "id": "m1", "text": ANSWERABLE})
    assert (await frames_until(ws, "answer"))[0]["type"] == "ack"
    await ws.send_json({"type": "message", "id": "m2", "text": HUMAN})
    await frames_until(ws, "handoff")
    during = await scrape(client)
    assert value(during, "kundresa_open_sockets", kind="widget") == 1

    # Slack: a DM answered in its thread; the first reply is rate-limited (an API error), then retried.
    fake_slack.rate_limit("chat.postMessage", 1)
    resp = await post_signed(client, event_body(dm(SLACK_QUESTION, "1700000100.000100")))
    assert resp.status == 200
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await asyncio.wait_for(client.app[SLACK].idle(), TIMEOUT)
    await ws.close()

    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("kundresa_messages_total", channel="web", direction="in") == 2
    assert moved("kundresa_messages_total", channel="slack", direction="in") == 1
    # the answer and the handoff notice on web, the answer on Slack
    assert moved("kundresa_messages_total", channel="web", direction="out") == 2
    assert moved("kundresa_messages_total", channel="slack", direction="out") == 1
    assert moved("kundresa_bot_decisions_total", kind="answer", lang="sv") == 2
    assert moved("kundresa_bot_decisions_total", kind="handoff", lang="sv") == 1
    assert moved("kundresa_handoffs_total", reason="asked_for_human") == 1
    assert sum(v for (n, _), v in after.items() if n == "kundresa_handoffs_total") == 1
    for stage, count in {"store": 3, "turn": 3, "decide": 3, "send": 3}.items():
        assert moved("kundresa_stage_seconds_count", stage=stage) == count, stage
        assert moved("kundresa_stage_seconds_sum", stage=stage) > 0, stage
    # each searched question once (a hand-off request needs no search; a prefetch may still run)
    assert 2 <= moved("kundresa_stage_seconds_count", stage="search") <= 3
    # the turn (arrival to last reply) takes longer than the store inside it
    turn = moved("kundresa_stage_seconds_sum", stage="turn")
    assert turn > moved("kundresa_stage_seconds_sum", stage="store")
    assert moved("kundresa_stage_seconds_bucket", stage="turn", le="+Inf") == 3
    # the model: every question searched went through the batcher, in batches of at least one
    batches = moved("kundresa_model_batch_size_count", lane="0")
    assert 1 <= batches <= moved("kundresa_model_batch_size_sum", lane="0") <= 3
    assert value(after, "kundresa_model_queue_depth") == 0
    assert value(after, "kundresa_model_worker_up", worker="0") == 1
    assert value(after, "kundresa_model_worker_restarts_total") == 0
    assert moved("kundresa_slack_api_errors_total", method="chat.postMessage", error="ratelimited") == 1
    assert value(after, "kundresa_tickets", status="open") == 1
    assert value(after, "kundresa_tickets", status="closed") == 0
    assert value(after, "process_resident_memory_bytes") > 50e6  # the process's own, with the model loaded
    assert moved("process_cpu_seconds_total") > 0
    deadline = time.monotonic() + TIMEOUT
    while value(after, "kundresa_open_sockets", kind="widget") != 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        after = await scrape(client)
    assert value(after, "kundresa_open_sockets", kind="widget") == 0


async def test_each_app_has_a_registry_of_its_own(app_client: Any) -> None:
    """Two apps in one process: neither sees the other's counts, and nothing lands in the global registry."""
    from prometheus_client import REGISTRY

    first, second = Metrics(), Metrics()
    first.decision("answer", "sv")
    assert (
        value(parse(first.render().decode()), "kundresa_bot_decisions_total", kind="answer", lang="sv") == 1
    )
    assert (
        value(parse(second.render().decode()), "kundresa_bot_decisions_total", kind="answer", lang="sv") == 0
    )
    assert REGISTRY.get_sample_value("kundresa_bot_decisions_total", {"kind": "answer", "lang": "sv"}) is None
    assert app_client.app[METRICS] is not first
