"""`bot.buttons.Buttons`: a click's turn reads the bot's state once and stores its reply with it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app_keys import DIALOGUE
from bot.buttons import AlreadyRated
from config import ValidationError
from infra.app_keys import SESSIONS
from router.identity import Evidence
from router.models import Feedback
from router.web import ROUTER


async def _conversation(app: Any, visitor: str) -> int:
    _, conv_id = await app[ROUTER].identify([Evidence("web_visitor", visitor, False)])
    return conv_id


async def test_choose_answers_with_the_article_and_remembers_it(app_client: Any) -> None:
    app = app_client.server.app
    buttons = app[DIALOGUE].buttons
    conv_id = await _conversation(app, "buttons-choose")
    slug = next(iter(app[DIALOGUE].kb.index.by_slug))
    frames = await buttons.choose(conv_id, slug)
    assert [f["type"] for f in frames] == ["answer"] and frames[0]["article"]["slug"] == slug
    seen = await app[DIALOGUE].states.load(conv_id)
    assert seen is not None and seen.state["last_answer"] == slug
    with pytest.raises(ValidationError):
        await buttons.choose(conv_id, "no-such-article")


async def test_feedback_is_stored_with_its_reply_and_thumbs_down_hands_over(app_client: Any) -> None:
    app = app_client.server.app
    buttons = app[DIALOGUE].buttons
    conv_id = await _conversation(app, "buttons-feedback")
    slug = next(iter(app[DIALOGUE].kb.index.by_slug))
    await buttons.choose(conv_id, slug)
    assert [f["type"] for f in await buttons.feedback(conv_id, True, "sv")] == ["notice"]
    assert [f["type"] for f in await buttons.feedback(conv_id, False, "sv")] == ["handoff"]
    async with app[SESSIONS]() as session:
        rows = list(await session.scalars(select(Feedback).where(Feedback.conversation_id == conv_id)))
    assert [(r.article_slug, r.helpful) for r in rows] == [(slug, True), (slug, False)]
    again = await buttons.human(conv_id, "sv")  # a person has it already
    assert [f["type"] for f in again] == ["handoff"]


async def test_csat_without_a_resolved_ticket_is_refused(app_client: Any) -> None:
    app = app_client.server.app
    conv_id = await _conversation(app, "buttons-csat")
    with pytest.raises(ValidationError):
        await app[DIALOGUE].buttons.csat(conv_id, 5)
    assert issubclass(AlreadyRated, Exception)
