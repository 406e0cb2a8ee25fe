"""`bot.channels.slack.work.SlackWork` on its own: what it refuses, with errors of the one tree."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.channels.slack.work import SlackWork
from config import KundresaError, UnavailableError, ValidationError
from infra.db import utcnow
from router.inbox import Job


def _job(kind: str, payload: dict[str, Any]) -> Job:
    return Job(1, "slack", "Ev1", kind, "U1", payload, 1, utcnow(), "owner")


def test_before_start_and_after_close_there_is_no_store_or_worker() -> None:
    work = SlackWork(core=None)  # type: ignore[arg-type]  # never reached: nothing is started
    with pytest.raises(UnavailableError) as store:
        _ = work.store
    with pytest.raises(UnavailableError):
        _ = work.worker
    assert store.value.status == 503 and isinstance(store.value, KundresaError)


@pytest.mark.parametrize(
    ("kind", "payload"),
    [("from-a-newer-version", {}), ("action", {"handler": "unknown", "body": {}})],
)
async def test_unknown_stored_work_is_a_validation_error(kind: str, payload: dict[str, Any]) -> None:
    async def never(*_: Any) -> None:
        raise AssertionError("unknown work reached a handler")

    # A core whose handlers fail the test if called: unknown work must be refused before any of them.
    customers = SimpleNamespace(on_choose=never, on_human=never, on_csat=never)
    core = SimpleNamespace(customers=customers, agents=SimpleNamespace(on_button=never))
    work = SlackWork(core=core)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as refused:
        await work.handle(_job(kind, payload))
    assert refused.value.code == "unknown_slack_work" and refused.value.status == 400
