"""The `/ws/chat` protocol end to end on the real app with the demo knowledge base: verified identity,
masking, language, an agent owning the conversation, per-conversation flood limits (each client frame
type: tests/bot/channels/webchat/test_inbound.py; replies and resume: test_outbound.py; connecting:
test_lifecycle.py). One app serves the module (`app_client` is overridden at module scope); every test
uses its own visitor id, hence its own customer and conversation."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.webchat import limits, sign_user
from config import Settings
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Conversation, Customer
from tests.bot.channels.webchat.chat_helpers import (
    AMBIGUOUS,
    ANSWERABLE,
    ANSWERABLE_SLUG,
    SECRET,
    TIMEOUT,
    Client,
    ask,
    assert_usable,
    connect,
    conversation_of,
    exchange,
    messages,
    new_visitor,
    only,
    recv,
    tickets,
)
from tests.settings_for import settings_for

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def db_url(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A module's copy of the session's demo database (what `app_client` runs on)."""
    db = tmp_path_factory.mktemp("webchat") / "kundresa.db"
    with (
        contextlib.closing(sqlite3.connect(demo_db_file)) as src,
        contextlib.closing(sqlite3.connect(db)) as dst,
    ):
        src.backup(dst)
    return f"sqlite+aiosqlite:///{db}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(db_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    """The real app with the demo KB, shared by the module (overrides the function-scoped conftest one)."""
    settings = settings_for(db_url, chat={"identity_secret": SECRET})
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


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
        prefetched = prefetch(text)
        started.append(prefetched.task)
        return prefetched

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


async def test_a_message_language_is_read_once(app_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pass per message: the language the text shows is read by the bot's prefetch and passed on to
    the search (its weights, its answer language) and to the reply's language, not read again."""
    import bot.dialogue
    import knowledge.search
    from knowledge.text import guess_lang

    read: list[str] = []

    def counting(text: str) -> str | None:
        read.append(text)
        return guess_lang(text)

    monkeypatch.setattr(bot.dialogue, "guess_lang", counting)
    monkeypatch.setattr(knowledge.search, "guess_lang", counting)
    ws = await connect(app_client)
    _, frames = await ask(ws, ANSWERABLE)
    assert only(frames, "answer")["article"]["slug"] == ANSWERABLE_SLUG
    assert read == [ANSWERABLE]
    await ws.close()
