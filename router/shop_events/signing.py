"""Signed server-to-server events: `POST /api/events` carries `X-Kundresa-Timestamp` (Unix seconds) and
`X-Kundresa-Signature: sha256=<hex>`, HMAC-SHA256 with `proactive.events_secret` over
`"<timestamp>." + raw body` (the style of the widget identity HMAC in `bot.channels.webchat.identity`).

A timestamp further than `signature_tolerance_seconds` from now is refused, and a signature is accepted
once (the stored event keeps it, unique): a captured request cannot be replayed, now or later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from config import UnauthorizedError

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign_event", "verify_event"]

TIMESTAMP_HEADER = "X-Kundresa-Timestamp"
SIGNATURE_HEADER = "X-Kundresa-Signature"


def sign_event(secret: str, timestamp: int | str, body: bytes) -> str:
    """What the shop's server computes: the `X-Kundresa-Signature` value for this body."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_event(
    headers: Mapping[str, str], body: bytes, secret: str, tolerance: int, now: float | None = None
) -> str:
    """The request's signature (hex, for the replay guard), or UnauthorizedError (401)."""
    stamp = headers.get(TIMESTAMP_HEADER, "").strip()
    given = headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not stamp or not given:
        raise UnauthorizedError(
            f"a signed event needs {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}", code="missing_signature"
        )
    if not stamp.isdigit() or len(stamp) > 12:
        raise UnauthorizedError(f"{TIMESTAMP_HEADER} must be Unix seconds", code="bad_signature")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise UnauthorizedError(
            f"the event's timestamp is more than {tolerance} s from now", code="stale_signature"
        )
    expected = sign_event(secret, stamp, body)
    if not hmac.compare_digest(expected, given if given.startswith("sha256=") else "sha256=" + given):
        raise UnauthorizedError("the event's signature does not match", code="bad_signature")
    return expected.removeprefix("sha256=")
