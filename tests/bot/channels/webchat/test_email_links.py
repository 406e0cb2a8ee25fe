"""bot/channels/webchat/email_links.py: the addresses customers leave, and the signed links in emails that
reopen their conversation (sending the email: tests/bot/channels/email/test_replies.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.webchat.email_links import ReopenLinks, mask_email, valid_email
from config import Settings, ValidationError


@pytest.fixture
def email_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        email={
            "host": "127.0.0.1",
            "port": 2525,
            "starttls": False,
            "from_address": "Nordhem <support@nordhem.example>",
            "link_url": "https://shop.example/kassa",
        }
    )


@pytest.mark.parametrize(
    "raw", ["anna@example.com", " Anna.Berg+chat@Example.SE ", "a@b.co", "o'neil@mail.example.org"]
)
def test_valid_addresses_are_kept(raw: str) -> None:
    address = valid_email(raw)
    assert address.split("@")[0] == raw.strip().split("@")[0]
    assert address.split("@")[1] == raw.strip().split("@")[1].lower()


@pytest.mark.parametrize(
    "raw",
    ["", "anna", "anna@", "@example.com", "anna@example", "an na@example.com", "anna@@example.com",
     "anna@exa_mple.com", "anna@-example.com", ".anna@example.com", "a..b@example.com", "anna@example.c0m",
     "a" * 65 + "@example.com", 42, None],
)  # fmt: skip
def test_invalid_addresses_are_refused(raw: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        valid_email(raw)
    assert exc.value.code == "invalid_email"


def test_addresses_are_shown_masked() -> None:
    assert mask_email("anna.berg@example.com") == "an***@example.com"
    assert mask_email("al@example.com") == "a***@example.com"
    assert mask_email(None) is None


def test_reopen_links_are_signed_and_expire(email_settings: Settings) -> None:
    links = ReopenLinks(email_settings)
    token = links.token(7, "visitor-1")
    found = links.verify(token)
    assert (found.conversation_id, found.visitor) == (7, "visitor-1")
    assert links.link(7, "visitor-1").startswith("https://shop.example/kassa?kundresa_reopen=")
    payload, sig = token.split(".")
    forged = links.token(8, "visitor-1").split(".")[0] + "." + sig  # another conversation, the old signature
    for bad in (forged, payload + ".x" + sig[1:], "garbage", ""):
        with pytest.raises(ValidationError) as exc:
            links.verify(bad)
        assert exc.value.code == "invalid_link"
    with pytest.raises(ValidationError) as exc:
        links.verify(token, now=time.time() + email_settings.email.link_hours * 3600 + 60)
    assert exc.value.code == "link_expired"
    other = ReopenLinks(email_settings.model_copy(update={"chat": email_settings.chat.model_copy(
        update={"identity_secret": None})}))  # fmt: skip
    with pytest.raises(ValidationError):
        other.verify(token)  # another key: not ours
