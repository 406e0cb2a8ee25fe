"""Email addresses customers leave in the web chat, and signed links that reopen their conversation.

An address is only format-checked (nobody clicked a confirmation link): it is used to send the replies
of the customer's own conversation, and shown back masked (`an***@example.com`). A reopen link carries
the conversation, the widget's visitor id and an expiry, signed with HMAC-SHA256 under a key derived from
`chat.identity_secret`: it cannot be guessed or altered, and it stops working when it expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

from config import Settings, ValidationError

__all__ = ["ReopenLinks", "Reopened", "mask_email", "valid_email"]

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def valid_email(raw: object) -> str:
    """The address, trimmed and with a lower-cased domain; `ValidationError` (`invalid_email`) if it is
    not one (one `@`, a dotted domain, no spaces, at most 254 characters)."""
    if not isinstance(raw, str):
        raise ValidationError("'address' must be an email address", code="invalid_email")
    address = raw.strip()
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    ok = (
        at == "@"
        and len(address) <= 254
        and _LOCAL.fullmatch(local) is not None
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
    )
    if not ok:
        raise ValidationError("that is not an email address", code="invalid_email")
    return f"{local}@{domain.lower()}"


def mask_email(address: str | None) -> str | None:
    """`anna.berg@example.com` → `an***@example.com`: enough for its owner to recognise it."""
    if not address:
        return None
    local, _, domain = address.rpartition("@")
    return f"{local[:2] if len(local) > 2 else local[:1]}***@{domain}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Reopened:
    """What a valid reopen link names."""

    conversation_id: int
    visitor: str
    expires: int  # unix seconds


class ReopenLinks:
    def __init__(self, settings: Settings) -> None:
        secret = settings.chat.identity_secret
        # Without an identity secret (a misconfigured production) links last as long as the process.
        base = secret.get_secret_value().encode() if secret is not None else secrets.token_bytes(32)
        self._key = hmac.new(base, b"kundresa reopen link v1", hashlib.sha256).digest()
        self.hours = settings.email.link_hours
        self.url = settings.email.link_url or (
            f"http://{settings.server.host}:{settings.server.port}/demo/checkout"
        )

    def token(self, conversation_id: int, visitor: str, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + self.hours * 3600)
        payload = _b64(json.dumps({"c": conversation_id, "v": visitor, "e": expires}).encode())
        return f"{payload}.{self._sign(payload)}"

    def link(self, conversation_id: int, visitor: str) -> str:
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}kundresa_reopen={self.token(conversation_id, visitor)}"

    def verify(self, token: str, now: float | None = None) -> Reopened:
        """What the token names; `ValidationError` (`invalid_link`) if it is forged, altered or expired."""
        payload, _, sig = (token or "").strip().partition(".")
        if not payload or len(token) > 600 or not hmac.compare_digest(self._sign(payload), sig):
            raise ValidationError("this link is not valid", code="invalid_link")
        try:
            data = json.loads(_unb64(payload))
            found = Reopened(int(data["c"]), str(data["v"]), int(data["e"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError("this link is not valid", code="invalid_link") from exc
        if found.expires < (time.time() if now is None else now):
            raise ValidationError("this link has expired", code="link_expired")
        return found

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii", "replace"), hashlib.sha256).digest())
