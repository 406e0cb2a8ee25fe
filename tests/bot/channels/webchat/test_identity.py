"""Identity that cannot be planted, and demo secrets nobody knows (issue 13), on the real app over `/ws/chat`.

- an unsigned client with a verified customer's visitor id gets neither the identity nor the history, and
  what it writes is never merged into the customer when they sign in again;
- `sig`, `email_sig` and `vip_sig` made with the old public demo constant fail: demo mode's secret is
  random, generated once per installation and stored, the same after a restart;
- 200 `resume` frames do not make the server replay its history 200 times.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.webchat import sign_user
from config import Settings
from infra.app_keys import SESSIONS, SETTINGS
from router.identity import GUEST_KIND
from router.install_secrets import InstallSecret
from router.models import ChannelIdentity, Customer, IdentityMerge, Message

TIMEOUT = 30
OLD_CONSTANT = "demo-identity-secret"
SECRET = "test-identity-secret"  # tests/conftest.py's
SENTINEL = "sentinel-end-of-batch"


def new_visitor() -> str:
    return f"v-{uuid.uuid4().hex[:16]}"


async def connect(client: Any, visitor: str, **params: str) -> aiohttp.ClientWebSocketResponse:
    return await client.ws_connect("/ws/chat", params={"visitor": visitor, **params})


async def drain(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every frame until the server has handled all sent so far (an unknown type's error is the marker)."""
    await ws.send_json({"type": SENTINEL})
    frames = []
    while True:
        frame = await ws.receive_json(timeout=TIMEOUT)
        if frame["type"] == "error" and frame["code"] == "unknown_type" and SENTINEL in frame["message"]:
            return frames
        if frame["type"] != "typing":
            frames.append(frame)


async def say(ws: aiohttp.ClientWebSocketResponse, text: str, cid: str) -> list[dict[str, Any]]:
    await ws.send_json({"type": "message", "id": cid, "text": text})
    frames = await drain(ws)
    assert frames and frames[0] == {**frames[0], "type": "ack", "id": cid}, frames
    return frames


async def replay(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    await ws.send_json({"type": "resume", "after": 0})
    return await drain(ws)


def signed(user: str, secret: str = SECRET, **extra: str) -> dict[str, str]:
    return {"user": user, "sig": sign_user(user, secret), **extra}


# -- visitor-id takeover ---------------------------------------------------------------------------------
async def test_an_unsigned_client_with_a_verified_visitor_id_plants_nothing(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    visitor, user = new_visitor(), f"shop-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, visitor, **signed(user))
    await say(ws, "Order NH-4711 ska till Storgatan 1", "victim-1")
    await ws.close()

    # The attacker learned the visitor id (a shared computer, a leaked log): no history, no identity.
    attacker = await connect(app_client, visitor)
    assert await replay(attacker) == []
    await say(attacker, "ändra min leveransadress till Skurkvägen 13", "planted")
    await attacker.close()
    # The attacker's own (guest) conversation is still theirs on the next unsigned visit.
    attacker = await connect(app_client, visitor)
    assert [f.get("id") for f in await replay(attacker) if f["type"] == "message"] == ["planted"]
    await attacker.close()

    # The customer signs in again in their browser: only their own messages, nothing merged.
    ws = await connect(app_client, visitor, **signed(user))
    ids = [f.get("id") for f in await replay(ws) if f["type"] == "message"]
    await ws.close()
    assert ids == ["victim-1"]
    async with app_client.app[SESSIONS]() as session:
        owners = {
            (i.kind, i.external_id): i.customer_id
            for i in await session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.external_id.in_([visitor, user]))
            )
        }
        assert owners[("web_visitor", visitor)] == owners[("web_user", user)]
        assert owners[(GUEST_KIND, visitor)] != owners[("web_user", user)]
        assert await session.scalar(select(func.count()).select_from(IdentityMerge)) == 0
        planted = await session.scalar(select(Message).where(Message.client_id == "planted"))
        assert planted is not None
    resp = await app_client.get(
        f"/api/customers/{owners[('web_user', user)]}/timeline", headers=agent_headers
    )
    assert resp.status == 200
    texts = [m.get("text") or "" for m in (await resp.json())["messages"]]
    assert not any("Skurkvägen" in t for t in texts), texts


async def test_a_visitor_id_that_verified_later_still_joins(app_client: Any) -> None:
    """The rule that stays: an anonymous visitor who signs in for the first time keeps their chat."""
    visitor, user = new_visitor(), f"shop-{uuid.uuid4().hex[:8]}"
    ws = await connect(app_client, visitor)
    await say(ws, "hej, jag har en fråga om leverans", "before-login")
    await ws.close()
    ws = await connect(app_client, visitor, **signed(user))
    ids = [f.get("id") for f in await replay(ws) if f["type"] == "message"]
    await ws.close()
    assert ids == ["before-login"]


# -- forged signatures in demo mode ------------------------------------------------------------------------
@pytest.fixture
def demo_settings(settings: Settings, make_settings: Callable[..., Settings]) -> Settings:
    """Demo mode with no identity secret configured (what `make run` does), on the demo database copy."""
    return make_settings(demo=True, chat={"identity_secret": None})


async def test_demo_mode_secret_is_random_stored_and_the_old_constant_forges_nothing(
    aiohttp_client: Any, demo_settings: Settings, make_settings: Callable[..., Settings]
) -> None:
    assert demo_settings.chat.identity_secret is None
    client = await aiohttp_client(create_app(demo_settings))
    secret = demo_settings.chat.identity_secret
    assert secret is not None
    key = secret.get_secret_value()
    assert key != OLD_CONSTANT and len(key) >= 40
    async with client.app[SESSIONS]() as session:
        stored = list(await session.scalars(select(InstallSecret)))
    assert ("chat.identity_secret", key) in [(s.name, s.value) for s in stored]

    # A sig made with the old constant is refused, whoever it names.
    ws = await connect(client, new_visitor(), **signed("customer-4711", OLD_CONSTANT))
    frame = await ws.receive_json(timeout=TIMEOUT)
    assert frame["code"] == "bad_signature"
    assert (await ws.receive(timeout=TIMEOUT)).type == aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 4401

    # A real sig, with email_sig and vip_sig forged with the constant: neither email nor VIP is believed.
    user, email = f"shop-{uuid.uuid4().hex[:8]}", "anna@example.se"
    forged = {
        "email": email,
        "email_sig": sign_user(email, OLD_CONSTANT),
        "vip_sig": sign_user(f"vip:{user}", OLD_CONSTANT),
    }
    ws = await connect(client, new_visitor(), **signed(user, key, **forged))
    await say(ws, "hej", "m1")
    await ws.close()
    async with client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_user", ChannelIdentity.external_id == user
            )
        )
        assert ident is not None
        customer = await session.get(Customer, ident.customer_id)
        assert customer is not None and customer.vip is False and customer.email is None
        assert await session.scalar(select(ChannelIdentity).where(ChannelIdentity.kind == "email")) is None
    await client.close()

    # A restart (a new app on the same database) signs with the same stored secret: sessions stay valid.
    again = make_settings(demo=True, chat={"identity_secret": None})
    client = await aiohttp_client(create_app(again))
    assert again.chat.identity_secret is not None
    assert again.chat.identity_secret.get_secret_value() == key
    ws = await connect(client, new_visitor(), **signed(user, key))
    assert [f.get("id") for f in await replay(ws) if f["type"] == "message"] == ["m1"]
    await ws.close()


async def test_demo_mode_warns_loudly(
    aiohttp_client: Any, demo_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="kundresa")
    client = await aiohttp_client(create_app(demo_settings))
    warnings = [r.getMessage() for r in caplog.records if r.name == "kundresa" and r.levelname == "WARNING"]
    assert any("DEMO MODE" in w and "demo = false" in w for w in warnings), warnings
    resp = await client.get("/api/console/mode")
    assert resp.status == 200 and await resp.json() == {"demo": True}


# -- resume flood ------------------------------------------------------------------------------------------
async def test_two_hundred_resumes_are_not_two_hundred_replays(app_client: Any) -> None:
    visitor = new_visitor()
    ws = await connect(app_client, visitor)
    for n in range(3):
        await say(ws, f"fråga nummer {n} om leveranstid", f"q{n}")
    history = await replay(ws)  # one resume: the whole history
    assert len(history) >= 6
    for _ in range(200):
        await ws.send_json({"type": "resume", "after": 0})
    frames = await drain(ws)
    await ws.close()
    limited = [f for f in frames if f["type"] == "error" and f["code"] == "rate_limited"]
    replayed = [f for f in frames if f["type"] != "error"]
    burst = app_client.app[SETTINGS].chat.resume_burst
    assert len(replayed) <= burst * len(history), len(replayed)
    assert len(limited) >= 200 - burst - 1
    assert len(frames) < 200 + burst * len(history) + 1  # not 200 x the history
    assert all("resume" in f["message"] for f in limited)


def test_the_page_context_is_masked_when_the_socket_opens() -> None:
    """Stored on the conversation, its tickets and shop events, and shown in the console and the export:
    a card number in a context field never gets that far."""
    from bot.channels.webchat.identity import parse_context

    context = parse_context('{"order_id": "4111111111111111", "step": "payment", "amount": 4111111111111111}')
    assert "4111111111111111" not in str(context)
    assert context["step"] == "payment"
