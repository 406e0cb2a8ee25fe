"""What each chat frame from a client must hold (SPEC.md, README), checked before anything is written.

A frame that fails here gets an error frame and leaves no row behind: the session checks it before it
creates the customer and conversation rows a valid action needs (`ChatSession.ensure`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from config import ValidationError

__all__ = ["FRAME_TYPES", "check_frame", "echo_id", "shown"]

MAX_CLIENT_ID = 100
MAX_SLUG = 200


def shown(value: Any, limit: int = 40) -> str:
    """A client's value as an error message may quote it: short, whatever it was."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo_id(frame: dict[str, Any]) -> str | None:
    """The frame's client id, for an error frame to name (only a well-formed one is echoed)."""
    value = frame.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= MAX_CLIENT_ID else None


def _message(frame: dict[str, Any], max_bytes: int) -> None:
    text, client_id = frame.get("text"), frame.get("id")
    if not isinstance(client_id, str) or not client_id or len(client_id) > MAX_CLIENT_ID:
        raise ValidationError(
            f"a message needs an 'id' (a string up to {MAX_CLIENT_ID} characters)", code="invalid_message"
        )
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("a message needs non-empty 'text'", code="invalid_message")
    if len(text.encode("utf-8")) > max_bytes:
        raise ValidationError(f"message over {max_bytes} bytes; shorten it", code="too_large")


def _choose(frame: dict[str, Any], max_bytes: int) -> None:
    slug = frame.get("article")
    if not isinstance(slug, str) or not slug or len(slug) > MAX_SLUG:
        raise ValidationError("'choose' needs 'article': a slug", code="invalid_message")


def _feedback(frame: dict[str, Any], max_bytes: int) -> None:
    if not isinstance(frame.get("helpful"), bool):
        raise ValidationError("'feedback' needs 'helpful': true or false", code="invalid_message")


def _csat(frame: dict[str, Any], max_bytes: int) -> None:
    score = frame.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise ValidationError("'csat' needs 'score': a whole number 1 to 5", code="invalid_csat")


def _resume(frame: dict[str, Any], max_bytes: int) -> None:
    after = frame.get("after")
    if not isinstance(after, int) or isinstance(after, bool):
        raise ValidationError("'resume' needs 'after': the last seq you have", code="invalid_resume")


def _email(frame: dict[str, Any], max_bytes: int) -> None:
    address = frame.get("address")
    if not isinstance(address, str) or not address.strip() or len(address) > 320:
        raise ValidationError("'email' needs 'address': an email address", code="invalid_email")


def _nothing(frame: dict[str, Any], max_bytes: int) -> None:
    return None


CHECKS: dict[str, Callable[[dict[str, Any], int], None]] = {
    "message": _message,
    "choose": _choose,
    "human": _nothing,
    "csat": _csat,
    "resume": _resume,
    "feedback": _feedback,
    "typing": _nothing,
    "email": _email,
}
FRAME_TYPES = tuple(CHECKS)


def check_frame(kind: str, frame: dict[str, Any], max_message_bytes: int) -> None:
    """Raise ValidationError unless `frame` (of a known `kind`) has every field it needs, well typed."""
    CHECKS[kind](frame, max_message_bytes)
