"""Property-based fuzzing of the chat socket's frames (SPEC.md "Web chat") against the real app.

Whatever a client sends, the socket answers with frames and stays open: never `internal_error`, never a
close. A frame the protocol rejects (not JSON, too deep, a number too long, NUL or a lone surrogate, an
unknown type, a field missing or of the wrong type) gets an error frame and stores nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.app_keys import DIALOGUE
from config import Settings
from tests.fuzz_inputs import Raw, anything, objects_with, to_json
from tests.live_app import LiveApp

MAX_MESSAGE_BYTES = 4096
GOOD_FIELDS: dict[str, dict[str, Any]] = {  # a valid frame of each client type (SPEC.md, README)
    "message": {"id": "c-1", "text": "hej"},
    "choose": {"article": "betala-med-swish"},
    "human": {},
    "csat": {"score": 5},
    "resume": {"after": 0},
    "feedback": {"helpful": True},
}
FUZZ = hsettings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _bad_text(value: Any) -> bool:
    """Whether this value holds anything `config.safe_json` refuses (NUL, surrogates, Raw numbers/bombs)."""
    if isinstance(value, Raw):
        return True
    if isinstance(value, str):
        return "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_bad_text(k) or _bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_text(v) for v in value)
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rejected(frame: Any) -> bool:
    """The oracle, from the protocol (not from the server's code): must this frame be refused?"""
    if _bad_text(frame) or not isinstance(frame, dict) or _depth(frame) > 32:
        return True
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in GOOD_FIELDS:
        return True
    if kind == "message":
        cid, text = frame.get("id"), frame.get("text")
        return not (
            isinstance(cid, str)
            and 0 < len(cid) <= 100
            and isinstance(text, str)
            and text.strip()
            and len(text.encode("utf-8")) <= MAX_MESSAGE_BYTES
        )
    if kind == "choose":
        return not (isinstance(frame.get("article"), str) and 0 < len(frame["article"]) <= 200)
    if kind == "csat":
        return not (_is_int(frame.get("score")) and 1 <= frame["score"] <= 5)
    if kind == "resume":
        return not _is_int(frame.get("after"))
    if kind == "feedback":
        return not isinstance(frame.get("helpful"), bool)
    return False


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


frames = st.one_of(
    anything,
    st.sampled_from(sorted(GOOD_FIELDS)).flatmap(lambda t: objects_with(GOOD_FIELDS[t], {"type": t})),
    objects_with({"type": "message", "id": "c-2", "text": "hej"}),  # the type itself odd or missing
)


class Socket:
    """One chat socket of the live app, with a probe after every frame: proof it still answers."""

    def __init__(self, live: LiveApp, visitor: str) -> None:
        self.live = live
        self.ws = live.run(live.client.ws_connect("/ws/chat", params={"visitor": visitor}))
        self.probes: Iterator[int] = itertools.count()

    def send(self, raw: str) -> list[dict[str, Any]]:
        """Send `raw`, then a probe; the frames that came back before the probe's answer."""
        probe = f"probe-{next(self.probes)}"

        async def exchange() -> list[dict[str, Any]]:
            await self.ws.send_str(raw)
            await self.ws.send_str(f'{{"type": "{probe}"}}')
            got: list[dict[str, Any]] = []
            while True:
                msg = await self.ws.receive(timeout=30)
                assert msg.type == WSMsgType.TEXT, f"socket closed or odd frame: {msg!r} after {raw[:200]!r}"
                frame = msg.json()
                if frame.get("type") == "error" and probe in str(frame.get("message")):
                    assert frame["code"] == "unknown_type"
                    return got
                got.append(frame)

        return self.live.run(exchange())

    def settle(self) -> None:
        """Wait for the bot's turns (answers are stored after the ack)."""
        assert self.live.run(self.live.client.app[DIALOGUE].turns.idle(30))

    def close(self) -> None:
        self.live.run(self.ws.close())


@pytest.fixture
def live(make_settings: Any, settings: Settings) -> Iterator[LiveApp]:
    # `settings` first: the copy of the demo database, which `make_settings` then points at too.
    app = LiveApp(make_settings(chat={"identity_secret": "fuzz", "messages_per_minute": 1_000_000}))
    yield app
    app.close()


@FUZZ
@given(frame=frames)
def test_any_frame_is_answered_and_the_socket_stays_open(live: LiveApp, frame: Any) -> None:
    sock = getattr(live, "fuzz_socket", None)
    if sock is None:
        sock = live.fuzz_socket = Socket(live, "fuzz-visitor")  # type: ignore[attr-defined]
    sock.settle()
    before = live.rows()
    got = sock.send(to_json(frame))
    assert not [f for f in got if f.get("type") == "error" and f.get("code") == "internal_error"], got
    if rejected(frame):
        errors = [f for f in got if f.get("type") == "error"]
        assert errors, (frame, got)
        assert all(isinstance(e.get("message"), str) and len(e["message"]) < 300 for e in errors)
        sock.settle()
        assert live.rows() == before, (frame, got)


@hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(set(GOOD_FIELDS) - {"human"})),
    field_value=anything,
)
def test_a_wrong_field_on_any_frame_type_is_an_error_and_stores_nothing(
    live: LiveApp, kind: str, field_value: Any
) -> None:
    """Every field of every client frame type, given something of the wrong type or shape."""
    sock = getattr(live, "field_socket", None)
    if sock is None:
        sock = live.field_socket = Socket(live, "field-visitor")  # type: ignore[attr-defined]
    good = GOOD_FIELDS[kind]
    for field in good:
        frame = {"type": kind, **good, field: field_value}
        if not rejected(frame):
            continue  # e.g. another valid score
        before = live.rows()
        got = sock.send(to_json(frame))
        assert [f for f in got if f.get("type") == "error" and f.get("code") != "internal_error"], (
            frame,
            got,
        )
        assert live.rows() == before, (frame, got)


BAD_RAW = [
    ("[" * 100_000, "too_large"),  # over 4 × chat.max_message_bytes: not even parsed
    ("[" * 10_000, "too_deep"),
    ('{"type":"message","id":"a","text":' + "[" * 40 + "1" + "]" * 40 + "}", "too_deep"),
    ('{"type":"csat","score":' + "9" * 4400 + "}", "number_too_large"),
    ('{"type":"resume","after":' + "9" * 5000 + "}", "number_too_large"),
    ('{"type":"resume","after":1e999}', "number_too_large"),
    ('{"type":"resume","after":NaN}', "invalid_json"),
    ('{"type":"message","id":"a","text":"hej \\ud800"}', "invalid_text"),
    ('{"type":"message","id":"a","text":"hej \\u0000 då"}', "invalid_text"),
    ('{"type":"message","id":"a\\u0000","text":"hej"}', "invalid_text"),
    ('{"type\\u0000":"message"}', "invalid_text"),
    ('{"type":"resume","after":' + str(2**63) + "}", "invalid_resume"),
    ('{"type":"resume","after":-1}', "invalid_resume"),
    ('{"type":"message","id":"a","text":"' + "x" * 5000 + '"}', "too_large"),
    ('{"type":' + '"x"' + "}", "unknown_type"),
]


def test_known_hostile_frames_get_their_error_code_and_the_socket_stays_open(live: LiveApp) -> None:
    """The cases measured in issue 13: each named, each answered; the same socket then chats normally."""
    sock = Socket(live, "hostile")
    before = live.rows()
    for raw, code in BAD_RAW:
        got = sock.send(raw)
        assert [f["code"] for f in got if f.get("type") == "error"] == [code], (raw[:80], got)
    assert live.rows() == before
    got = sock.send('{"type":"message","id":"ok-1","text":"Hur betalar jag med Swish?"}')
    assert any(f.get("type") == "ack" and f.get("id") == "ok-1" for f in got), got
    sock.close()
