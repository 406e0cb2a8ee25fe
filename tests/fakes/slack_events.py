"""What Slack sends Kundresa, for tests: signed requests to `/slack/events`, Events API bodies, DMs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from tests.fakes.slack_api import TEAM_ID

SECRET = "test-signing-secret"
CUSTOMER = "U_KUND"
DM = "D_KUND"
_ids = itertools.count(1)


def next_id() -> int:
    """A number no other call in this test run got (event ids, trigger ids)."""
    return next(_ids)


def sign(body: str | bytes, timestamp: int, secret: str = SECRET) -> str:
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post_signed(
    client: Any,
    body: str | bytes,
    *,
    content_type: str = "application/json",
    secret: str = SECRET,
    timestamp: int | None = None,
    retry: int | None = None,
) -> Any:
    """POST `body` to /slack/events as Slack does: signed, with a retry number when it is a retry."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts, secret),
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    data = body.encode() if isinstance(body, str) else body
    return await client.post("/slack/events", data=data, headers=headers)


def event_body(event: dict[str, Any], event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A_KUNDRESA",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next_id():06d}",
            "event_time": int(time.time()),
            "event": {"event_ts": event.get("ts"), **event},
        }
    )


def dm(text: str, ts: str, user: str = CUSTOMER, channel: str = DM, **extra: Any) -> dict[str, Any]:
    """A direct message to the app."""
    return {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        **extra,
    }
