"""The `/ws/chat` protocol end to end on the real app with the demo knowledge base.

Starting the app (embedding the demo articles) costs ~10 s on a busy machine, so one app serves the whole
module (`app_client` is overridden at module scope); every test uses its own visitor id, hence its own
customer and conversation. Frames are collected up to a *sentinel*: an unknown frame type whose error
reply proves every frame sent before it has been fully handled (one socket is handled in order).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.webchat import limits, sign_user
from config import Settings, load_settings
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Conversation, Customer, Feedback, Message, Ticket

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = "test-identity-secret"
TIMEOUT = 20  # seconds for one frame; the first answer can be slow on a loaded 2-core machine
SENTINEL = "sentinel-end-of-batch"
CONTEXT = {"step": "payment", "order_id": "NH-100234", "amount": 1847, "currency": "SEK"}
ANSWERABLE = "hur lång är leveranstiden?"  # the demo KB answers: leveranstid-sparning
ANSWERABLE_SLUG = "leveranstid-sparning"
AMBIGUOUS = "betala senare"  # the demo KB offers options (invoice, part payment, ...)
UNANSWERABLE = "kvarkstjärnor och fotosyntes"  # nothing in the demo KB


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('webchat')}/kundresa.db"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(db_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    """The real app with the demo KB, shared by the module (overrides the function-scoped conftest one)."""
    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": db_url},
        demo=False,
        chat={"identity_secret": SECRET},
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


# --- helpers ------------------------------------------------------------------------------------------

Client = TestClient[Any, Any]
WS = aiohttp.ClientWebSocketResponse


def new_visitor() -> str:
    return f"v-{uuid.uuid4().hex[:16]}"


async def connect(client: Client, visitor: str | None = None, **params: str) -> WS:
    query = {"visitor": visitor or new_visitor(), **params}
    return await client.ws_connect("/ws/chat", params=query)


async def recv(ws: WS) -> dict[str, Any]:
    frame = await ws.receive_json(timeout=TIMEOUT)
    assert isinstance(frame, dict), frame
    assert isinstance(frame.get("seq"), int) and not isinstance(frame["seq"], bool), frame
    return frame


async def drain(ws: WS, *, typing: bool = False) -> list[dict[str, Any]]:
    """Every frame the server sends until it has handled everything sent so far.

    `typing` frames (ephemeral, not stored, carrying the latest seq) are left out unless asked for.
    """
    await ws.send_json({"type": SENTINEL})
    frames: list[dict[str, Any]] = []
    while True:
        frame = await recv(ws)
        if frame["type"] == "error" and frame["code"] == "unknown_type" and SENTINEL in frame["message"]:
            return frames
        if typing or frame["type"] != "typing":
            frames.append(frame)


async def exchange(ws: WS, *frames: dict[str, Any], typing: bool = False) -> list[dict[str, Any]]:
    for frame in frames:
        await ws.send_json(frame)
    return await drain(ws, typing=typing)


async def ask(ws: WS, text: str, cid: str | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send one message; (its ack, the frames that followed)."""
    cid = cid or f"c-{uuid.uuid4().hex[:12]}"
    frames = await exchange(ws, {"type": "message", "id": cid, "text": text})
    assert frames, "no ack"
    ack, rest = frames[0], frames[1:]
    assert ack["type"] == "ack" and ack["id"] == cid, frames
    return ack, rest


def only(frames: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    matching = [f for f in frames if f["type"] == kind]
    assert len(matching) == 1, frames
    return matching[0]


async def conversation_of(client: Client, visitor: str) -> Conversation:
    """The conversation a visitor's socket is bound to (its customer's newest)."""
    async with client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_visitor", ChannelIdentity.external_id == visitor
            )
        )
        assert ident is not None, visitor
        conv = await session.scalar(
            select(Conversation)
            .where(Conversation.customer_id == ident.customer_id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        assert conv is not None
        return conv


async def messages(client: Client, conversation_id: int) -> list[Message]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return list(rows)


async def tickets(client: Client, conversation_id: int) -> list[Ticket]:
    async with client.app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id)
        )
        return list(rows)


async def assert_usable(ws: WS) -> None:
    """A valid question on this socket is still acked and answered."""
    _, frames = await ask(ws, ANSWERABLE)
    assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG


# --- every client message type ------------------------------------------------------------------------


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


# --- bad input --------------------------------------------------------------------------------------------

BIG = "€" * 1366  # 4098 bytes in UTF-8 but only 1366 characters: the limit is on bytes


async def _send_raw(ws: WS, raw: Any) -> None:
    if isinstance(raw, bytes):
        await ws.send_bytes(raw)
    elif isinstance(raw, str):
        await ws.send_str(raw)
    else:
        await ws.send_json(raw)


BAD_FRAMES: list[tuple[str, Any, str]] = [
    ("not-json", "hej, kan jag betala med swish?", "invalid_json"),
    ("truncated-json", '{"type": "message", "id": "a", "text": "hej"', "invalid_json"),
    ("json-array", '[{"type": "message", "id": "a", "text": "hej"}]', "invalid_json"),
    ("json-string", '"hej"', "invalid_json"),
    ("json-null", "null", "invalid_json"),
    ("binary", b'{"type": "message", "id": "a", "text": "hej"}', "binary_not_supported"),
    ("unknown-type", {"type": "shout", "text": "hej"}, "unknown_type"),
    ("no-type", {"id": "a", "text": "hej"}, "unknown_type"),
    ("type-not-a-string", {"type": ["message"], "id": "a", "text": "hej"}, "unknown_type"),
    ("message-without-id", {"type": "message", "text": "hej"}, "invalid_message"),
    ("message-empty-id", {"type": "message", "id": "", "text": "hej"}, "invalid_message"),
    ("message-numeric-id", {"type": "message", "id": 7, "text": "hej"}, "invalid_message"),
    ("message-long-id", {"type": "message", "id": "x" * 101, "text": "hej"}, "invalid_message"),
    ("message-empty-text", {"type": "message", "id": "a", "text": ""}, "invalid_message"),
    ("message-blank-text", {"type": "message", "id": "a", "text": " \n\t "}, "invalid_message"),
    ("message-text-not-string", {"type": "message", "id": "a", "text": {"q": "hej"}}, "invalid_message"),
    ("message-too-large", {"type": "message", "id": "a", "text": BIG}, "too_large"),
    ("frame-far-too-large", "x" * 20000, "too_large"),
    ("resume-negative", {"type": "resume", "after": -1}, "invalid_resume"),
    ("resume-string", {"type": "resume", "after": "x"}, "invalid_resume"),
    ("resume-float", {"type": "resume", "after": 1.5}, "invalid_resume"),
    ("resume-missing", {"type": "resume"}, "invalid_resume"),
    ("resume-beyond-latest", "BEYOND", "invalid_resume"),
    ("csat-zero", {"type": "csat", "score": 0}, "invalid_csat"),
    ("csat-six", {"type": "csat", "score": 6}, "invalid_csat"),
    ("csat-string", {"type": "csat", "score": "5"}, "invalid_csat"),
    ("csat-bool", {"type": "csat", "score": True}, "invalid_csat"),
    ("csat-float", {"type": "csat", "score": 4.5}, "invalid_csat"),
    ("choose-without-article", {"type": "choose"}, "invalid_message"),
    ("choose-unknown-article", {"type": "choose", "article": "finns-inte"}, "unknown_article"),
    ("feedback-without-helpful", {"type": "feedback", "helpful": "nej"}, "invalid_message"),
]


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


@pytest.mark.parametrize(
    "query",
    [{}, {"visitor": ""}, {"visitor": "v" * 101}, {"visitor": "ok", "context": "not json"}],
    ids=["no-visitor", "empty-visitor", "long-visitor", "bad-context"],
)
async def test_bad_connection_query_is_refused(app_client: Client, query: dict[str, str]) -> None:
    ws = await app_client.ws_connect("/ws/chat", params=query)
    frame = await recv(ws)
    assert frame["type"] == "error" and frame["code"] in ("invalid_visitor", "invalid_context")
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4400


async def test_flood_is_rate_limited_per_conversation(
    make_settings: Callable[..., Settings], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh app with a low limit, on the module's database (the demo KB and its vectors are there).
    settings = make_settings(
        database={"url": db_url}, chat={"messages_per_minute": 3, "identity_secret": SECRET}
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        visitor = new_visitor()
        ws = await connect(client, visitor)
        await ask(ws, "hej")
        await ask(ws, ANSWERABLE)
        only(await exchange(ws, {"type": "choose", "article": "faktura"}), "answer")
        conv = await conversation_of(client, visitor)
        before = await messages(client, conv.id)
        for frame in (
            {"type": "message", "id": "flood-1", "text": "en till fråga"},
            {"type": "human"},
            {"type": "feedback", "helpful": False},
            {"type": "choose", "article": "faktura"},
        ):
            frames = await exchange(ws, frame)
            assert [(f["type"], f.get("code")) for f in frames] == [("error", "rate_limited")], frame
        assert frames[0]["message"]
        # Reconnecting (or a second tab) does not reset the budget: it is the conversation's.
        ws2 = await connect(client, visitor)
        frames = await exchange(ws2, {"type": "message", "id": "flood-2", "text": "och en till"})
        assert [(f["type"], f.get("code")) for f in frames] == [("error", "rate_limited")]
        await ws2.close()
        after = await messages(client, conv.id)
        assert [m.seq for m in after] == [m.seq for m in before]
        assert await tickets(client, conv.id) == []
        # The socket is alive: replaying does not count as a message.
        replay = await exchange(ws, {"type": "resume", "after": before[-2].seq})
        assert [f["seq"] for f in replay] == [before[-1].seq]
        # A minute later the same socket is answered again.
        real = limits.time.monotonic

        class LaterClock:
            @staticmethod
            def monotonic() -> float:
                return real() + 61

        monkeypatch.setattr(limits, "time", LaterClock)
        _, frames = await ask(ws, ANSWERABLE)
        assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG
        await ws.close()


# --- duplicates and resume ----------------------------------------------------------------------------


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


async def test_reconnect_and_resume_replays_exactly_what_came_after(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    ack1, frames1 = await ask(ws, ANSWERABLE, cid="q-1")
    answer1 = only(frames1, "answer")
    ack2, frames2 = await ask(ws, "kan jag betala med faktura", cid="q-2")
    answer2 = only(frames2, "answer")
    await ws.close()

    ws = await connect(app_client, visitor)
    replay = await exchange(ws, {"type": "resume", "after": answer1["seq"]})
    assert [f["seq"] for f in replay] == [ack2["seq"], answer2["seq"]]
    assert replay[0].pop("at")  # when it was stored (the widget's timestamps)
    assert replay[0] == {
        "type": "message",
        "author": "customer",
        "id": "q-2",
        "text": "kan jag betala med faktura",
        "seq": ack2["seq"],
    }
    assert replay[1] == answer2

    everything = await exchange(ws, {"type": "resume", "after": 0})
    assert [f["seq"] for f in everything] == [ack1["seq"], answer1["seq"], ack2["seq"], answer2["seq"]]
    assert len({f["seq"] for f in everything}) == len(everything)
    mine = [f for f in everything if f["type"] == "message"]
    assert [(f["author"], f["id"], f["text"]) for f in mine] == [
        ("customer", "q-1", ANSWERABLE),
        ("customer", "q-2", "kan jag betala med faktura"),
    ]
    assert everything[1] == answer1
    # Errors are never replayed.
    assert all(f["type"] != "error" for f in everything)
    await ws.close()


async def test_two_tabs_of_one_visitor_both_get_the_replies(app_client: Client) -> None:
    visitor = new_visitor()
    tab1 = await connect(app_client, visitor)
    assert await drain(tab1) == []  # identified
    tab2 = await connect(app_client, visitor)
    assert await drain(tab2) == []
    ack, frames = await ask(tab1, ANSWERABLE)
    answer = only(frames, "answer")
    # The other tab gets the customer's message (as resume replays it: the ack and "typing" are for the
    # sender only), then the bot's reply.
    assert await recv(tab2) == {
        "type": "message",
        "author": "customer",
        "id": ack["id"],
        "text": ANSWERABLE,
        "seq": ack["seq"],
    }
    assert await recv(tab2) == answer
    await tab1.close()
    await tab2.close()


async def test_two_tabs_opening_at_once_share_one_conversation(
    app_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from router import identity

    real = identity._identity

    async def slow_lookup(*args: Any) -> Any:  # widens the window between lookup and insert
        found = await real(*args)
        await asyncio.sleep(0.3)
        return found

    monkeypatch.setattr(identity, "_identity", slow_lookup)
    visitor = new_visitor()
    tab1, tab2 = await asyncio.gather(connect(app_client, visitor), connect(app_client, visitor))
    await asyncio.gather(drain(tab1), drain(tab2))
    monkeypatch.undo()
    ack, frames = await ask(tab1, ANSWERABLE)
    answer = only(frames, "answer")
    try:
        assert (await tab2.receive_json(timeout=3))["id"] == ack["id"]  # the message, echoed
        assert await tab2.receive_json(timeout=3) == answer
    finally:
        await tab1.close()
        await tab2.close()


# --- verified identity --------------------------------------------------------------------------------


def signed(user: str, **extra: str) -> dict[str, str]:
    """What the shop passes for a signed-in customer: `sig` over the user id, `email_sig` over the email."""
    params = {"user": user, "sig": sign_user(user, SECRET), **extra}
    if "email" in extra:
        params["email_sig"] = sign_user(extra["email"].strip().lower(), SECRET)
    return params


async def customer_of(client: Client, visitor: str) -> tuple[Customer, set[tuple[str, str, bool]]]:
    conv = await conversation_of(client, visitor)
    async with client.app[SESSIONS]() as session:
        customer = await session.get(Customer, conv.customer_id)
        assert customer is not None
        rows = await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer.id)
        )
        return customer, {(r.kind, r.external_id, r.verified) for r in rows}


async def test_good_signature_makes_a_verified_customer(app_client: Client) -> None:
    visitor = new_visitor()
    user = f"shop-user-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, visitor, **signed(user, email=f"{user}@Example.se"))
    _, frames = await ask(ws, ANSWERABLE)
    only(frames, "answer")
    customer, idents = await customer_of(app_client, visitor)
    assert customer.email == f"{user}@example.se"
    assert ("web_user", user, True) in idents
    assert ("email", f"{user}@example.se", True) in idents
    assert ("web_visitor", visitor, False) in idents
    await ws.close()


async def test_signature_is_case_insensitive_hex(app_client: Client) -> None:
    user = f"shop-user-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, user=user, sig=sign_user(user, SECRET).upper())
    await assert_usable(ws)
    await ws.close()


@pytest.mark.parametrize(
    "params",
    [
        {"user": "alice", "sig": "00" * 32},
        {"user": "alice", "sig": sign_user("mallory", SECRET)},
        {"user": "alice", "sig": sign_user("alice", "another-secret")},
        {"user": "alice", "sig": "not hex"},
        {"user": "alice"},
        {"sig": sign_user("alice", SECRET)},
        {"user": "", "sig": sign_user("", SECRET)},
    ],
    ids=["zeros", "other-user", "other-secret", "not-hex", "no-sig", "no-user", "empty-user"],
)
async def test_bad_signature_is_refused_and_closed(app_client: Client, params: dict[str, str]) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor, **params)
    frame = await recv(ws)
    assert (frame["type"], frame["code"]) == ("error", "bad_signature")
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4401
    async with app_client.app[SESSIONS]() as session:
        found = await session.scalar(
            select(func.count()).select_from(ChannelIdentity).where(ChannelIdentity.external_id == visitor)
        )
    assert found == 0  # nothing was created for a refused connection


async def test_anonymous_visitor_keeps_history_when_signing_in(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    ack, frames = await ask(ws, ANSWERABLE, cid="before-login")
    only(frames, "answer")
    anon_conv = await conversation_of(app_client, visitor)
    await ws.close()

    user = f"shop-user-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, visitor, **signed(user))
    replay = await exchange(ws, {"type": "resume", "after": 0})
    assert [f.get("id") for f in replay if f["type"] == "message"] == ["before-login"]
    ack2, _ = await ask(ws, "kan jag betala med faktura")
    assert ack2["seq"] > ack["seq"]
    conv = await conversation_of(app_client, visitor)
    assert conv.id == anon_conv.id
    _, idents = await customer_of(app_client, visitor)
    assert ("web_user", user, True) in idents
    await ws.close()


async def test_another_verified_user_on_the_same_browser_sees_nothing(app_client: Client) -> None:
    visitor = new_visitor()
    first, second = (f"shop-user-{uuid.uuid4().hex[:8]}" for _ in range(2))
    ws = await connect(app_client, visitor, **signed(first))
    await ask(ws, "mitt ordernummer är NH-1, var är paketet?", cid="first-secret")
    await ws.close()

    ws = await connect(app_client, visitor, **signed(second))
    assert await exchange(ws, {"type": "resume", "after": 0}) == []
    ack, _ = await ask(ws, ANSWERABLE)
    assert ack["seq"] == 1  # a conversation of their own
    await ws.close()
    # And the first user still has theirs.
    ws = await connect(app_client, visitor, **signed(first))
    replay = await exchange(ws, {"type": "resume", "after": 0})
    assert [f.get("id") for f in replay if f["type"] == "message"] == ["first-secret"]
    await ws.close()


async def test_unverified_visit_to_a_verified_browser_sees_nothing(app_client: Client) -> None:
    visitor = new_visitor()
    user = f"shop-user-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, visitor, **signed(user))
    await ask(ws, "mitt ordernummer är NH-2, var är paketet?", cid="verified-secret")
    await ws.close()

    ws = await connect(app_client, visitor)  # signed out, same browser
    assert await exchange(ws, {"type": "resume", "after": 0}) == []
    # Claiming the user without a signature does not help either.
    refused = await connect(app_client, visitor, user=user)
    assert (await recv(refused))["code"] == "bad_signature"
    await ws.close()


async def test_unsigned_email_cannot_take_over_another_customer(app_client: Client) -> None:
    victim_visitor = new_visitor()
    victim = f"victim-{uuid.uuid4().hex[:8]}"
    email = f"{victim}@example.se"
    ws = await connect(app_client, victim_visitor, **signed(victim, email=email))
    await ask(ws, "mitt ordernummer är NH-3, leverera till Storgatan 1", cid="victim-secret")
    await ws.close()

    attacker = f"attacker-{uuid.uuid4().hex[:8]}"  # a real shop account: the shop signs it
    ws = await connect(app_client, **signed(attacker), email=email)  # the shop never signed this email
    replay = await exchange(ws, {"type": "resume", "after": 0})
    await ws.close()
    assert all(f.get("id") != "victim-secret" for f in replay), replay


async def test_merged_customer_keeps_one_conversation_across_browsers(app_client: Client) -> None:
    user = f"shop-user-{uuid.uuid4().hex[:8]}"
    laptop, phone = new_visitor(), new_visitor()
    ws = await connect(app_client, laptop, **signed(user))
    await ask(ws, ANSWERABLE, cid="laptop-1")
    await ask(ws, AMBIGUOUS, cid="laptop-2")
    _, frames = await ask(ws, "kan jag betala med faktura", cid="laptop-3")
    laptop_seq = frames[-1]["seq"]
    await ws.close()

    ws = await connect(app_client, phone)  # anonymous on the phone
    await ask(ws, "hej", cid="phone-1")
    await ws.close()
    ws = await connect(app_client, phone, **signed(user))  # signs in on the phone
    await ask(ws, "var är mitt paket?", cid="phone-2")
    await ws.close()

    ws = await connect(app_client, laptop, **signed(user))  # back on the laptop
    replay = await exchange(ws, {"type": "resume", "after": laptop_seq})
    await ws.close()
    assert all(f["type"] != "error" for f in replay), replay
    assert {"phone-1", "phone-2"} <= {f.get("id") for f in replay}


# --- masking ------------------------------------------------------------------------------------------

SECRETS = {
    "4111 1111 1111 1111": "kortet 4111 1111 1111 1111 nekas hela tiden",
    "5555-5555-5555-4444": "my card 5555-5555-5555-4444 was declined",
    "378282246310005": "amex 378282246310005 nekas, varför?",
    "19121212-1212": "mitt personnummer är 19121212-1212, kan jag betala med faktura",
}
RAW = [*SECRETS, "4111111111111111", "5555555555554444", "191212121212", "121212-1212"]


def _leaks(obj: Any) -> list[str]:
    text = json.dumps(obj, ensure_ascii=False, default=str)
    return [raw for raw in RAW if raw in text]


async def test_card_numbers_and_personnummer_are_masked_everywhere(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    warnings = 0
    seen: list[dict[str, Any]] = []
    for raw, text in SECRETS.items():
        ack, frames = await ask(ws, text)
        seen += [ack, *frames]
        notices = [f for f in frames if f["type"] == "notice"]
        if raw != "19121212-1212":
            assert any("kortnummer" in f["text"] or "card numbers" in f["text"] for f in notices), frames
            warnings += 1
    assert warnings == 3
    frames = await exchange(ws, {"type": "human"})
    only(frames, "handoff")
    seen += frames
    replay = await exchange(ws, {"type": "resume", "after": 0})
    await ws.close()

    conv = await conversation_of(app_client, visitor)
    rows = await messages(app_client, conv.id)
    customer_rows = [r for r in rows if r.direction == "in"]
    assert len(customer_rows) == 4
    assert all(r.masked for r in customer_rows)
    texts = [r.text for r in customer_rows]
    assert "[kort ••••1111]" in texts[0]
    assert "[kort ••••4444]" in texts[1]
    assert "[kort ••••0005]" in texts[2]
    assert "[personnummer]" in texts[3]
    stored = [(r.text, r.payload, r.context) for r in rows]
    assert _leaks(stored) == []
    assert _leaks(replay) == []
    assert [f["text"] for f in replay if f["type"] == "message"] == texts
    assert _leaks(seen) == []
    [ticket] = await tickets(app_client, conv.id)
    assert ticket.question and ("[kort ••••" in ticket.question or "[personnummer]" in ticket.question)
    assert _leaks([ticket.question, ticket.bot_attempts, ticket.context]) == []
    async with app_client.app[SESSIONS]() as session:
        stored_conv = await session.get(Conversation, conv.id)
    assert stored_conv is not None and _leaks(stored_conv.bot_state) == []


# --- language, ownership, static pages ----------------------------------------------------------------


async def test_swedish_question_about_swish(app_client: Client) -> None:
    ws = await connect(app_client)
    _, frames = await ask(ws, "hur betalar jag med swish?")
    kinds = {f["type"] for f in frames}
    if "answer" in kinds:
        answer = only(frames, "answer")
        assert answer["article"]["slug"] == "swish-betalning"
        assert "swish" in answer["text"].lower()
    else:
        clarify = only(frames, "clarify")
        assert "swish-betalning" in [o["slug"] for o in clarify["options"]]
    await ws.close()


async def test_bot_only_acknowledges_while_an_agent_owns_the_conversation(app_client: Client) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    only(await exchange(ws, {"type": "human"}), "handoff")
    conv = await conversation_of(app_client, visitor)
    assert conv.owner == "agent"
    before = await messages(app_client, conv.id)
    # The first message after the handoff is acknowledged ("a person answers here"), never answered.
    _, frames = await ask(ws, ANSWERABLE)
    assert [(f["type"], f.get("ack")) for f in frames] == [("notice", "waiting")], frames
    assert "person" in frames[0]["text"]
    for text in ("hej", "tack!", AMBIGUOUS):
        _, frames = await ask(ws, text)
        assert frames == [], frames  # only the ack: once is enough until a person speaks
    _, frames = await ask(ws, "jag vill prata med en människa")
    assert [f["type"] for f in frames] == ["notice"], frames  # asking again is acknowledged too
    after = await messages(app_client, conv.id)
    new = after[len(before) :]
    assert [(m.direction, m.author_kind) for m in new] == [
        ("in", "customer"),
        ("out", "bot"),
        *[("in", "customer")] * 3,
        ("in", "customer"),
        ("out", "bot"),
    ]
    await ws.close()


async def test_prefetched_search_is_dropped_when_a_person_owns_the_conversation(app_client: Client) -> None:
    """The search that starts before the message is stored is not used once an agent owns the chat."""
    from bot.app_keys import DIALOGUE

    dialogue = app_client.app[DIALOGUE]
    started: list[Any] = []
    prefetch = dialogue.prefetch

    def recording(text: str) -> Any:
        task = prefetch(text)
        started.append(task)
        return task

    dialogue.prefetch = recording
    try:
        ws = await connect(app_client)
        _, frames = await ask(ws, ANSWERABLE)
        assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG
        only(await exchange(ws, {"type": "human"}), "handoff")
        _, frames = await ask(ws, "Hallå? Jag väntar fortfarande.")
        # A person owns the conversation: the bot only acknowledges, it does not answer
        assert [f["type"] for f in frames] == ["notice"], frames
        assert len(started) == 2 and all(t.done() for t in started)
        assert not started[0].cancelled() and started[0].result().best is not None
        await ws.close()
    finally:
        del dialogue.prefetch
