"""Slack Connect email trust (issue 13): only our own workspace's emails are evidence of who someone is.

In a shared channel (or a Slack Connect DM) the other organisation controls its members' profiles, emails
included. Through the real app, signed `/slack/events` and the fake Slack Web API on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.channels.slack import SLACK
from bot.channels.slack.identity import SlackDirectory, SlackUser
from bot.channels.webchat import sign_user
from config import Settings
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Customer, Message
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI
from tests.fakes.slack_events import SECRET, dm, event_body, post_signed

QUESTION = "Hur betalar jag med Swish?"
EMAIL = "kim@example.com"
WEB_SECRET = "Order NH-4711, leverans till Storgatan 1"


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    # Not the folder's (conftest.py), which knows Kim under another id: these tests add their own users.
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def client(
    fake_slack: FakeSlackAPI, settings: Settings, make_settings: Callable[..., Settings], aiohttp_client: Any
) -> Any:
    slack = {"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base_url": fake_slack.base_url}
    return await aiohttp_client(create_app(make_settings(slack=slack)))  # on conftest's demo-db copy


async def web_customer(client: Any) -> int:
    """A web customer whose email the shop signed, with something private in their chat."""
    user, key = "shop-kim", "test-identity-secret"
    params = {
        "visitor": "v-kim",
        "user": user,
        "sig": sign_user(user, key),
        "email": EMAIL,
        "email_sig": sign_user(EMAIL, key),
    }
    ws = await client.ws_connect("/ws/chat", params=params)
    await ws.send_json({"type": "message", "id": "web-1", "text": WEB_SECRET})
    while (await ws.receive_json(timeout=30))["type"] != "ack":
        pass
    await ws.close()
    return await owner(client, "web_user", user)


async def owner(client: Any, kind: str, external_id: str) -> int:
    async with client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == kind, ChannelIdentity.external_id == external_id
            )
        )
    assert ident is not None, (kind, external_id)
    return ident.customer_id


async def send(client: Any, event: dict[str, Any]) -> None:
    resp = await post_signed(client, event_body(event))
    assert resp.status == 200, await resp.text()
    await asyncio.wait_for(client.app[SLACK].idle(), 60)


@pytest.mark.parametrize("where", ["shared_channel", "connect_dm"])
async def test_another_organisations_user_with_the_customers_email_is_not_the_customer(
    client: Any, fake_slack: FakeSlackAPI, where: str
) -> None:
    web = await web_customer(client)
    # Someone in another organisation sets the customer's email in their own Slack profile.
    fake_slack.add_user("U_THEM", email=EMAIL, name="Not Kim", team_id="T_THEM")
    fake_slack.channels["C_SHARED"] = {"id": "C_SHARED", "is_ext_shared": True}
    base = {"type": "message", "text": QUESTION, "user": "U_THEM", "user_team": "T_THEM"}
    if where == "shared_channel":
        event = {**base, "channel_type": "channel", "channel": "C_SHARED", "ts": "1700001000.000100"}
    else:
        event = {**base, "channel_type": "im", "channel": "D_THEM", "ts": "1700001001.000100"}
    await send(client, event)

    them = await owner(client, "slack_user", "U_THEM")
    assert them != web
    [reply] = fake_slack.calls_to("chat.postMessage")  # answered as a customer of their own
    assert "NH-4711" not in reply.dump() and "Storgatan" not in reply.dump()
    async with client.app[SESSIONS]() as session:
        customer = await session.get(Customer, them)
        assert customer is not None and customer.email is None and customer.merged_into_id is None
        emails = list(await session.scalars(select(ChannelIdentity).where(ChannelIdentity.kind == "email")))
        assert [(e.external_id, e.customer_id) for e in emails] == [(EMAIL, web)]
        their_texts = list(
            await session.scalars(
                select(Message.text).where(Message.channel == "slack", Message.direction == "in")
            )
        )
    assert their_texts == [QUESTION]
    assert await owner(client, "web_user", "shop-kim") == web  # the web customer is untouched


async def test_our_own_workspace_email_still_joins_the_web_customer(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    web = await web_customer(client)
    fake_slack.add_user("U_KIM", email=EMAIL, name="Kim Kund", team_id=TEAM_ID)
    await send(client, dm(QUESTION, "1700001100.000100", user="U_KIM", channel="D_KIM"))
    assert await owner(client, "slack_user", "U_KIM") == web
    assert fake_slack.calls_to("auth.test"), "our own team is asked of Slack, not taken from the event"


class _AuthTest:
    """Just enough of slack-sdk's client for `SlackDirectory.own_team`."""

    def __init__(self, team_id: str, enterprise_id: str | None) -> None:
        self.answer = {"ok": True, "team_id": team_id, "enterprise_id": enterprise_id}
        self.calls = 0

    async def auth_test(self) -> dict[str, Any]:
        self.calls += 1
        return self.answer


@pytest.mark.parametrize(
    ("user", "trusted"),
    [
        (SlackUser("U1", "A", EMAIL, "T_OURS"), True),
        (SlackUser("U2", "B", EMAIL, "T_THEM"), False),  # Slack Connect: another workspace
        (SlackUser("U3", "C", EMAIL, "T_SISTER", enterprise_id="E_OURS"), True),  # our Grid organisation
        (SlackUser("U4", "D", EMAIL, "T_THEM", enterprise_id="E_THEM"), False),  # another organisation
        (SlackUser("U5", "E", EMAIL, "T_OURS", email_confirmed=False), False),
        (SlackUser("U6", "F", None, "T_OURS"), False),
        (SlackUser("U7", "G", EMAIL, None), False),
    ],
)
async def test_trusted_email_rules(user: SlackUser, trusted: bool) -> None:
    api = _AuthTest("T_OURS", "E_OURS")
    directory = SlackDirectory(api, logging.getLogger("test"))  # type: ignore[arg-type]
    assert await directory.trusted_email(user) == (EMAIL if trusted else None)
    await directory.trusted_email(user)
    assert api.calls <= 1  # asked once, then remembered
