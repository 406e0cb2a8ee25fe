"""bot/channels/webchat/frames.py: what each client frame must hold, checked before anything is written
(the error frames a socket then gets: test_inbound.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.webchat.frames import FRAME_TYPES, check_frame, echo_id, shown
from config import ValidationError

GOOD = {
    "message": {"id": "m1", "text": "Hej"},
    "choose": {"article": "swish"},
    "human": {},
    "csat": {"score": 5},
    "resume": {"after": 0},
    "feedback": {"helpful": False},
    "typing": {},
    "email": {"address": "kim@example.com"},
}


def test_every_frame_type_has_a_good_example_that_passes() -> None:
    assert set(GOOD) == set(FRAME_TYPES)
    for kind, frame in GOOD.items():
        check_frame(kind, frame, 100)


@pytest.mark.parametrize(
    ("kind", "frame", "code"),
    [
        ("message", {"text": "Hej"}, "invalid_message"),
        ("message", {"id": "x" * 101, "text": "Hej"}, "invalid_message"),
        ("message", {"id": "m1", "text": "   "}, "invalid_message"),
        ("message", {"id": "m1", "text": "å" * 51}, "too_large"),  # 102 bytes in UTF-8, over 100
        ("choose", {"article": ""}, "invalid_message"),
        ("choose", {"article": "s" * 201}, "invalid_message"),
        ("csat", {"score": 6}, "invalid_csat"),
        ("csat", {"score": True}, "invalid_csat"),
        ("csat", {"score": "5"}, "invalid_csat"),
        ("resume", {"after": False}, "invalid_resume"),
        ("resume", {}, "invalid_resume"),
        ("feedback", {"helpful": 1}, "invalid_message"),
        ("email", {"address": " "}, "invalid_email"),
        ("email", {"address": "a" * 321}, "invalid_email"),
    ],
)
def test_bad_frames_are_validation_errors(kind: str, frame: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as bad:
        check_frame(kind, frame, 100)
    assert (bad.value.code, bad.value.status) == (code, 400)


def test_a_message_of_exactly_the_byte_limit_passes() -> None:
    check_frame("message", {"id": "m1", "text": "å" * 50}, 100)


def test_echo_id_only_for_a_well_formed_id() -> None:
    assert echo_id({"id": "m1"}) == "m1"
    assert echo_id({"id": ""}) is None and echo_id({"id": 7}) is None and echo_id({"id": "x" * 101}) is None


def test_shown_quotes_short_and_cuts_long_values() -> None:
    assert shown("abc") == "'abc'"
    assert shown("x" * 100) == "'" + "x" * 38 + "…" and len(shown("x" * 100)) == 40
