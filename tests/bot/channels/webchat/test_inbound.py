"""bot/channels/webchat/inbound.py over `/ws/chat` on the real app: every client frame type, bad frames (an
error frame, nothing stored, the socket still usable), resends and resumes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from infra.app_keys import SESSIONS, SETTINGS
from router.models import Feedback, Ticket
from tests.bot.channels.webchat.chat_helpers import (
    AMBIGUOUS,
    ANSWERABLE,
    ANSWERABLE_SLUG,
    BAD_FRAMES,
    CONTEXT,
    UNANSWERABLE,
    Client,
    _send_raw,
    ask,
    assert_usable,
    chat_app,
    connect,
    conversation_of,
    drain,
    exchange,
    messages,
    new_visitor,
    only,
    tickets,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One app for the module (overrides conftest's function-scoped `app_client`)."""
    async with chat_app(demo_db_file, tmp_path_factory.mktemp("webchat")) as client:
        yield client


async def test_message_is_acked_with_its_stored_seq_then_answered(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    ack, frames = await ask(ws, ANSWERABLE, cid="client-1")
    assert ack == {"type": "ack", "id": "client-1", "seq": ack["seq"]}
    answer = only(frames, "answer")
    assert answer["article"] == {"slug": ANSWERABLE_SLUG, "title": answer["article"]["title"]}
    assert answer["article"]["title"] and answer["text"].strip()
    assert 0 < answer["confidence"]
    assert answer["seq"] > ack["seq"]

    conv = await conversation_of(app_client, visitor)
    rows = await messages(app_client, conv.id)
    stored = [r for r in rows if r.client_id == "client-1"]
    assert len(stored) == 1
    assert stored[0].seq == ack["seq"]
    assert (stored[0].direction, stored[0].author_kind, stored[0].text) == ("in", "customer", ANSWERABLE)
    out = next(r for r in rows if r.seq == answer["seq"])
    assert (out.direction, out.kind, out.payload) == ("out", "answer", answer)
    await ws.close()


async def test_ambiguous_question_gets_options_and_choose_answers_with_that_article(
    app_client: Client,
) -> None:
    ws = await connect(app_client)
    _, frames = await ask(ws, AMBIGUOUS)
    clarify = only(frames, "clarify")
    slugs = [o["slug"] for o in clarify["options"]]
    assert len(slugs) >= 2 and all(o["title"] for o in clarify["options"])
    picked = slugs[1]
    frames = await exchange(ws, {"type": "choose", "article": picked})
    assert only(frames, "answer")["article"]["slug"] == picked
    # Any published article can be chosen by slug.
    frames = await exchange(ws, {"type": "choose", "article": "faktura"})
    answer = only(frames, "answer")
    assert answer["article"]["slug"] == "faktura" and "faktura" in answer["text"].lower()
    await ws.close()


async def test_unanswerable_question_hands_off(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    _, frames = await ask(ws, UNANSWERABLE)
    handoff = only(frames, "handoff")
    conv = await conversation_of(app_client, visitor)
    [ticket] = await tickets(app_client, conv.id)
    assert handoff["ticket"] == ticket.id
    assert (ticket.reason, ticket.question) == ("no_answer", UNANSWERABLE)
    await ws.close()


async def test_human_opens_a_ticket_with_page_context_and_bot_attempts(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor, context=json.dumps(CONTEXT))
    _, frames = await ask(ws, ANSWERABLE)
    only(frames, "answer")
    frames = await exchange(ws, {"type": "human"})
    handoff = only(frames, "handoff")
    assert isinstance(handoff["ticket"], int) and handoff["text"]
    conv = await conversation_of(app_client, visitor)
    [ticket] = await tickets(app_client, conv.id)
    assert ticket.id == handoff["ticket"]
    assert ticket.reason == "asked_for_human"
    assert ticket.status == "open"
    assert ticket.context == CONTEXT
    assert ticket.question == ANSWERABLE  # the question the bot tried, not the button press
    assert ticket.bot_attempts, "the agent should see what the bot offered"
    assert ticket.bot_attempts[0]["slug"] == ANSWERABLE_SLUG
    await ws.close()


async def test_human_as_the_first_thing_keeps_the_page_context(app_client: Client) -> None:
    # Stuck at the payment step, the customer goes straight for "talk to a person".
    visitor = new_visitor()
    ws = await connect(app_client, visitor, context=json.dumps(CONTEXT))
    frames = await exchange(ws, {"type": "human"})
    handoff = only(frames, "handoff")
    conv = await conversation_of(app_client, visitor)
    [ticket] = await tickets(app_client, conv.id)
    assert ticket.id == handoff["ticket"]
    assert ticket.reason == "asked_for_human"
    assert ticket.question is None  # a bare ask for a person is never the ticket's question
    assert ticket.context == CONTEXT
    await ws.close()


async def test_human_twice_is_one_ticket(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    first = only(await exchange(ws, {"type": "human"}), "handoff")
    second = only(await exchange(ws, {"type": "human"}), "handoff")
    assert first["ticket"] == second["ticket"]
    conv = await conversation_of(app_client, visitor)
    assert len(await tickets(app_client, conv.id)) == 1
    await ws.close()


async def test_asks_for_a_person_are_limited_per_client_address(
    demo_db_file: Path, tmp_path: Path
) -> None:
    """New visitor ids from one address, each asking for a person: `chat.handoffs_per_minute_per_ip` of them
    get a ticket, the next is refused with `rate_limited` and no ticket, and can still talk to the bot."""
    async with chat_app(demo_db_file, tmp_path, handoffs_per_minute_per_ip=3) as client:
        handed = []
        for _ in range(3):
            ws = await connect(client)
            handed.append(only(await exchange(ws, {"type": "human"}), "handoff")["ticket"])
            await ws.close()
        visitor = new_visitor()
        ws = await connect(client, visitor)
        refused = only(await exchange(ws, {"type": "human"}), "error")
        assert refused["code"] == "rate_limited" and refused["limit"] == "handoffs"  # the widget says which
        async with client.app[SESSIONS]() as session:
            opened = list(await session.scalars(select(Ticket.id)))
        assert sorted(opened) == sorted(handed)  # the refused ask opened nothing
        _, frames = await ask(ws, ANSWERABLE)
        assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG
        await ws.close()


async def test_csat_needs_a_resolved_ticket_then_is_stored(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    frames = await exchange(ws, {"type": "csat", "score": 4})
    assert only(frames, "error")["code"] == "no_csat_pending"

    handoff = only(await exchange(ws, {"type": "human"}), "handoff")
    frames = await exchange(ws, {"type": "csat", "score": 4})
    assert only(frames, "error")["code"] == "no_csat_pending"  # open, not resolved yet

    async with app_client.app[SESSIONS]() as session, session.begin():
        ticket = await session.get(Ticket, handoff["ticket"])
        assert ticket is not None
        ticket.status = "resolved"
    frames = await exchange(ws, {"type": "csat", "score": 4})
    assert [f["type"] for f in frames] == ["notice"]
    async with app_client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, handoff["ticket"])
        assert ticket is not None and ticket.csat == 4
    await ws.close()


async def test_feedback_not_helpful_is_recorded_and_hands_off(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    _, frames = await ask(ws, ANSWERABLE)
    only(frames, "answer")
    frames = await exchange(ws, {"type": "feedback", "helpful": False})
    handoff = only(frames, "handoff")
    conv = await conversation_of(app_client, visitor)
    async with app_client.app[SESSIONS]() as session:
        rows = list(await session.scalars(select(Feedback).where(Feedback.conversation_id == conv.id)))
    assert [(r.article_slug, r.helpful) for r in rows] == [(ANSWERABLE_SLUG, False)]
    [ticket] = await tickets(app_client, conv.id)
    assert ticket.id == handoff["ticket"]
    assert (ticket.reason, ticket.question) == ("not_helpful", ANSWERABLE)
    await ws.close()


async def test_feedback_helpful_is_recorded_and_thanked(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    _, frames = await ask(ws, ANSWERABLE)
    only(frames, "answer")
    frames = await exchange(ws, {"type": "feedback", "helpful": True})
    assert [f["type"] for f in frames] == ["notice"]
    conv = await conversation_of(app_client, visitor)
    async with app_client.app[SESSIONS]() as session:
        rows = list(await session.scalars(select(Feedback).where(Feedback.conversation_id == conv.id)))
    assert [(r.article_slug, r.helpful) for r in rows] == [(ANSWERABLE_SLUG, True)]
    assert await tickets(app_client, conv.id) == []
    await ws.close()


async def test_typed_thanks_before_any_answer_does_not_call_a_person(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    _, frames = await ask(ws, "hej")
    assert [f["type"] for f in frames] == ["notice"]
    _, frames = await ask(ws, "tack!")
    assert [f["type"] for f in frames] == ["notice"]
    conv = await conversation_of(app_client, visitor)
    assert await tickets(app_client, conv.id) == []
    await ws.close()


async def test_every_server_frame_has_an_increasing_seq(app_client: Client) -> None:
    ws = await connect(app_client, context=json.dumps(CONTEXT))
    seen: list[dict[str, Any]] = []
    for frame in (
        {"type": "message", "id": "s-1", "text": "hej"},
        {"type": "message", "id": "s-2", "text": ANSWERABLE},
        {"type": "message", "id": "s-3", "text": AMBIGUOUS},
        {"type": "choose", "article": "faktura"},
        {"type": "feedback", "helpful": True},
        {"type": "human"},
        {"type": "message", "id": "s-4", "text": "är ni där?"},
    ):
        seen += await exchange(ws, frame, typing=True)
    assert {"ack", "notice", "answer", "clarify", "handoff"} <= {f["type"] for f in seen}
    # Stored frames (and the acks of stored messages) count up by one: nothing is stored unseen.
    stored = [f["seq"] for f in seen if f["type"] not in ("typing", "error")]
    assert stored == list(range(1, len(stored) + 1)), seen
    # Ephemeral frames carry the latest seq so far; they never run ahead.
    latest = 0
    for f in seen:
        if f["type"] in ("typing", "error"):
            assert f["seq"] == latest, f
        latest = max(latest, f["seq"])
    await ws.close()


@pytest.mark.parametrize(
    ("raw", "code"), [(r, c) for _, r, c in BAD_FRAMES], ids=[n for n, _, _ in BAD_FRAMES]
)
async def test_bad_frame_gets_an_error_and_the_socket_stays_usable(
    app_client: Client, raw: Any, code: str
) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    await ask(ws, "hej")  # something stored, so "beyond the latest" has a meaning
    conv = await conversation_of(app_client, visitor)
    before = await messages(app_client, conv.id)
    if raw == "BEYOND":
        raw = {"type": "resume", "after": before[-1].seq + 1}
    await _send_raw(ws, raw)
    frames = await drain(ws)
    assert len(frames) == 1, frames
    error = frames[0]
    assert (error["type"], error["code"]) == ("error", code), error
    assert isinstance(error["message"], str) and error["message"]
    assert error["seq"] == before[-1].seq  # errors are not stored: they carry the latest seq
    after = await messages(app_client, conv.id)
    assert [(m.seq, m.text) for m in after] == [(m.seq, m.text) for m in before]
    assert not ws.closed
    await assert_usable(ws)
    await ws.close()


async def test_a_message_of_exactly_the_byte_limit_is_accepted(app_client: Client) -> None:
    ws = await connect(app_client)
    text = "€" * 1365 + "a"  # 4096 bytes
    assert len(text.encode()) == 4096
    ack, _ = await ask(ws, text)
    assert ack["type"] == "ack"
    await ws.close()


async def test_resume_up_to_the_latest_seq_replays_nothing(app_client: Client) -> None:
    ws = await connect(app_client)
    _, frames = await ask(ws, ANSWERABLE)
    latest = frames[-1]["seq"]
    assert await exchange(ws, {"type": "resume", "after": latest}) == []
    # On a brand-new conversation, resume after 0 is fine too.
    fresh = await connect(app_client)
    assert await exchange(fresh, {"type": "resume", "after": 0}) == []
    await ws.close()
    await fresh.close()


async def test_resent_client_id_is_reacked_stored_once_answered_once(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    ack, frames = await ask(ws, ANSWERABLE, cid="same-id")
    only(frames, "answer")
    await ws.close()

    # The widget did not see the ack (say the socket died) and re-sends after reconnecting.
    ws = await connect(app_client, visitor)
    again, frames = await ask(ws, ANSWERABLE, cid="same-id")
    assert again == ack
    assert frames == []  # not answered a second time
    # And once more on the same socket.
    third, frames = await ask(ws, ANSWERABLE, cid="same-id")
    assert third == ack and frames == []

    conv = await conversation_of(app_client, visitor)
    rows = await messages(app_client, conv.id)
    assert [r.seq for r in rows if r.client_id == "same-id"] == [ack["seq"]]
    assert len([r for r in rows if r.kind == "answer"]) == 1
    await ws.close()


async def test_a_resend_past_the_rate_limit_still_gets_its_ack(app_client: Client) -> None:
    """A client retrying a stored message after a lost ack gets the ack, though the conversation used up
    its messages for the minute: an error would make the widget offer "try again" for a stored message."""
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    card = "mitt kort 4111 1111 1111 1111 nekas"
    ack, _ = await ask(ws, card, cid="stored-once")
    assert "4111 1111 1111 1111" not in ack["text"]  # stored masked
    per_minute = app_client.app[SETTINGS].chat.messages_per_minute
    bad_feedback = {"type": "feedback", "helpful": "maybe"}  # counts against the limit, stores nothing
    refused = await exchange(ws, *[bad_feedback] * per_minute)
    assert any(f.get("code") == "rate_limited" for f in refused)
    again = await exchange(ws, {"type": "message", "id": "stored-once", "text": card})
    assert again == [ack]
    new = await exchange(ws, {"type": "message", "id": "not-stored", "text": "en ny fråga"})
    assert [(f["type"], f.get("code")) for f in new] == [("error", "rate_limited")]
    conv = await conversation_of(app_client, visitor)
    stored = [r.client_id for r in await messages(app_client, conv.id) if r.direction == "in"]
    assert stored == ["stored-once"]
    await ws.close()
