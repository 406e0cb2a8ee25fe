"""Which shop events there are and what a valid one looks like: pure validation, no database.

Built-in events: `payment_failed` with a reason code (`REASONS`), `payment_succeeded`, `checkout_idle`.
Any other name is a custom event: allowed, but its name must match `NAME_RE` and its `data` (a JSON
object) must stay under `proactive.max_data_bytes`. Strings in `data` are masked before anything stores
them (`router.masking`), as customer messages are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from config import TooLargeError, ValidationError
from router.masking import mask_value

__all__ = [
    "BUILT_IN",
    "NAME_RE",
    "PAYMENT_FAILED",
    "PAYMENT_SUCCEEDED",
    "REASONS",
    "EventIn",
    "parse_event",
]

PAYMENT_FAILED = "payment_failed"
PAYMENT_SUCCEEDED = "payment_succeeded"
CHECKOUT_IDLE = "checkout_idle"
BUILT_IN = (PAYMENT_FAILED, PAYMENT_SUCCEEDED, CHECKOUT_IDLE)
REASONS = (
    "card_declined",
    "insufficient_funds",
    "3ds_failed",
    "3ds_timeout",
    "swish_timeout",
    "swish_declined",
    "invoice_rejected",
    "other",
)
NAME_RE = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
MAX_DEPTH = 4


@dataclass(frozen=True)
class EventIn:
    """A validated event, `data` masked; `reason` only for `payment_failed`."""

    name: str
    reason: str | None
    data: dict[str, Any] = field(default_factory=dict)


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_event(name: Any, data: Any, *, reason: Any = None, max_bytes: int = 2048) -> EventIn:
    """Validate an event from the widget or the shop's server; ValidationError (400) when it is bad."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ValidationError(
            "an event needs a 'name': a lower-case letter, then up to 63 of a-z 0-9 _ . : -",
            code="invalid_event",
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError("an event's 'data' must be a JSON object", code="invalid_event")
    try:
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise ValidationError("an event's 'data' must be plain JSON", code="invalid_event") from exc
    if size > max_bytes:
        raise TooLargeError(f"an event's 'data' is over {max_bytes} bytes", code="too_large")
    if _depth(data) > MAX_DEPTH:
        raise ValidationError(f"an event's 'data' nests deeper than {MAX_DEPTH}", code="invalid_event")
    data = dict(data)
    raw_reason = reason if reason is not None else data.pop("reason", None)
    data.pop("reason", None)
    clean_reason: str | None = None
    if name == PAYMENT_FAILED:
        clean_reason = "other" if raw_reason in (None, "") else raw_reason
        if clean_reason not in REASONS:
            raise ValidationError(
                f"'payment_failed' needs a reason: one of {', '.join(REASONS)}", code="invalid_reason"
            )
    elif raw_reason is not None:
        if not isinstance(raw_reason, str) or not NAME_RE.fullmatch(raw_reason) or len(raw_reason) > 32:
            raise ValidationError("'reason' must be a short code like card_declined", code="invalid_reason")
        clean_reason = raw_reason
    return EventIn(name, clean_reason, dict(mask_value(data)))
