"""bot/channels/email/outbound.py against a real SMTP server on 127.0.0.1 (aiosmtpd): agent replies and
notices are emailed as text and HTML with the link that reopens the chat; other frames are not; an SMTP
server away is "not delivered", not an error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.channels.email.outbound import EmailChannel
from bot.texts import say
from config import Settings
from tests.bot.smtp_sink import Sink, free_port, smtp_sink

ADDRESS = {
    "email": "kim@example.com",
    "lang": "en",
    "link": "https://shop.example/?kundresa_reopen=t",
    "ticket": 7,
}


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as s:
        yield s


def channel(make_settings: Callable[..., Settings], port: int) -> EmailChannel:
    settings = make_settings(
        email={"host": "127.0.0.1", "port": port, "starttls": False, "from_address": "Shop <s@shop.example>"}
    )
    return EmailChannel(settings.email, 24)


async def test_an_agent_reply_is_emailed_with_the_reopen_link(
    sink: Sink, make_settings: Callable[..., Settings]
) -> None:
    email = channel(make_settings, sink.port)
    frame = {"type": "agent_message", "agent": "Sven", "text": "Hej Kim!\n\nPaketet <kommer> i morgon."}
    assert await email.deliver(3, ADDRESS, frame)
    [(to, message)] = await sink.wait(1)
    assert to == ["kim@example.com"] and message["Subject"] == say("email_subject", "en", ticket=7)
    assert message["From"] == "Shop <s@shop.example>"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    rich = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Paketet <kommer> i morgon." in plain and ADDRESS["link"] in plain and "Sven" in plain
    assert "Paketet &lt;kommer&gt; i morgon." in rich and "<kommer>" not in rich


async def test_only_replies_and_notices_to_an_address_are_sent(
    sink: Sink, make_settings: Callable[..., Settings]
) -> None:
    email = channel(make_settings, sink.port)
    not_sent: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (ADDRESS, {"type": "answer", "text": "Bot svar"}),
        (ADDRESS, {"type": "agent_message", "text": "  "}),
        ({**ADDRESS, "email": ""}, {"type": "agent_message", "text": "Hej"}),
    ]
    for address, frame in not_sent:
        assert not await email.deliver(3, address, frame)
    assert await email.deliver(3, ADDRESS, {"type": "notice", "text": "Vi har stängt ärendet."})
    assert len(await sink.wait(1)) == 1


async def test_an_smtp_server_away_is_not_delivered(make_settings: Callable[..., Settings]) -> None:
    email = channel(make_settings, free_port())  # nothing listens there
    assert not await email.deliver(3, ADDRESS, {"type": "agent_message", "text": "Hej"})
