"""`router.handoff.open_or_reopen`: which ticket a handoff gets, in the caller's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from config import Settings
from infra.db import create_engine, create_sessionmaker
from router import conversations as convs
from router import tickets as tk
from router.channel import ChannelRegistry
from router.events import EventBus
from router.handoff import open_or_reopen
from router.identity import Evidence
from router.service import Router


@pytest.fixture
async def router(make_settings: Callable[..., Settings]) -> AsyncIterator[Router]:
    from infra.migrate import upgrade

    settings = make_settings(routing={"teams": {"betalning": "payments"}})
    engine = create_engine(settings.database)
    await upgrade(engine)
    try:
        yield Router(create_sessionmaker(engine), settings, ChannelRegistry(), EventBus())
    finally:
        await engine.dispose()


async def _open(router: Router, conv_id: int, question: str | None) -> tuple[int, bool, str | None, str]:
    async with router.sessions() as session, session.begin():
        conv = await convs.lock(session, conv_id)
        ticket, new = await open_or_reopen(
            session, conv, router.settings, reason="no_answer", question=question, attempts=[],
            tags=[["betalning"]],
        )  # fmt: skip
        await session.flush()
        return ticket.id, new, ticket.question, ticket.team


async def test_a_new_ticket_then_the_same_one_then_a_reopened_one(router: Router) -> None:
    _, conv_id = await router.identify([Evidence("web_visitor", "handoff-1", False)])
    first, new, question, team = await _open(router, conv_id, None)
    assert (new, question, team) == (True, None, "payments")  # the tags' team
    again, new, question, _ = await _open(router, conv_id, "Varför nekas kortet?")
    assert (again, new, question) == (first, False, "Varför nekas kortet?")  # the active one, now with it
    async with router.sessions() as session, session.begin():
        tk.move(await tk.lock(session, first), "resolved")
    reopened, new, _, _ = await _open(router, conv_id, None)
    assert (reopened, new) == (first, False)  # resolved within the window: reopened
