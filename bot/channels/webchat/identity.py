"""Who a chat socket speaks for, read from its query string: the visitor id, the shop-signed user, email and
VIP flag (hex HMAC-SHA256 with the shop's identity secret), the page context, and the visitor a reopen link
(`email_links.py`) names. Pure: no database."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels.webchat.email_links import ReopenLinks
from config import Settings, ValidationError, safe_json
from router.identity import Evidence
from router.lookup import Who
from router.masking import mask_value

CONTEXT_KEYS = ("step", "order_id", "amount", "currency")
LANG_RE = re.compile(r"[a-z]{2,3}")  # the widget's `lang` query parameter; anything else is ignored


def sign_user(user: str, secret: str) -> str:
    """What the shop computes: hex HMAC-SHA256 of the user id with the identity secret."""
    return hmac.new(secret.encode("utf-8"), user.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_context(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    if len(raw) > 2000:
        raise ValidationError("context is over 2000 characters", code="invalid_context")
    try:
        data = safe_json.loads(raw, what="context")
    except ValidationError as exc:
        raise ValidationError(exc.message, code="invalid_context") from exc
    if not isinstance(data, dict):
        raise ValidationError("context must be a JSON object", code="invalid_context")
    out: dict[str, Any] = {}
    for key in CONTEXT_KEYS:
        value = data.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[key] = value if not isinstance(value, str) else value[:200]
    # Masked here, once: the context is stored on the conversation, its tickets and its shop events, and
    # shown in the console, the timeline and the export (a card number typed as an "order id" included).
    return dict(mask_value(out))


class Refused(Exception):
    """The socket is turned away: this error frame, then a close with `close_code`."""

    def __init__(self, code: str, message: str, close_code: int) -> None:
        super().__init__(message)
        self.code, self.message, self.close_code = code, message, close_code


@dataclass(frozen=True, slots=True)
class ChatIdentity:
    evidence: tuple[Evidence, ...]  # strongest first: the verified user, then the visitor id
    email: str | None = None  # verified (signed) only
    vip: bool = False
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    lang: str | None = None
    name: str | None = None  # the shop's name for a signed-in customer (`name`, only with a valid `sig`)

    @property
    def key(self) -> Who:
        """Sockets with the same key are the same customer (two tabs of one browser)."""
        return Who(self.evidence, self.email, self.vip)


def identity_from_query(q: Mapping[str, str], settings: Settings) -> ChatIdentity:
    """The socket's identity, or `Refused` (bad visitor id, context or signature)."""
    visitor = q.get("visitor", "")
    if not visitor or len(visitor) > 100:
        raise Refused("invalid_visitor", "'visitor' id required", 4400)
    try:
        context = parse_context(q.get("context"))
    except ValidationError as exc:
        raise Refused(exc.code, exc.message, 4400) from exc
    evidence = [Evidence("web_visitor", visitor, False)]
    user, email, sig = q.get("user"), q.get("email"), q.get("sig")
    # No key (signed users turned off): every signed claim is refused, never checked against "".
    secret = settings.chat.identity_secret if settings.chat.signed_users else None
    key = (secret.get_secret_value() or None) if secret is not None else None
    verified_email: str | None = None
    if user or sig:
        expected = sign_user(user or "", key) if key is not None else None
        if not user or not sig or expected is None or not hmac.compare_digest(expected, sig.lower()):
            raise Refused("bad_signature", "identity signature does not match", 4401)
        evidence.insert(0, Evidence("web_user", user, True))
        # The email is verified evidence only when the shop signed it too (`email_sig`); `sig` covers
        # `user` alone, so an unsigned email could name someone else's account.
        email_sig = q.get("email_sig", "")
        if email and key is not None:
            clean = email.strip().lower()
            if hmac.compare_digest(sign_user(clean, key), email_sig.lower()):
                verified_email = clean
    # The shop marks a VIP by signing "vip:" + user (`vip_sig`); an unsigned claim is ignored.
    vip = False
    if user and key is not None and (verified_email is not None or any(e.verified for e in evidence)):
        vip_sig = q.get("vip_sig", "")
        vip = bool(vip_sig) and hmac.compare_digest(sign_user(f"vip:{user}", key), vip_sig.lower())
    lang = q.get("lang", "").lower()
    # A display name counts only for a customer the shop signed in: it greets them and names them to agents.
    name = " ".join((q.get("name") or "").split())[:200] if any(e.verified for e in evidence) else ""
    return ChatIdentity(
        tuple(evidence), verified_email, vip, context, lang if LANG_RE.fullmatch(lang) else None, name or None
    )


def reopened(
    query: Mapping[str, str], settings: Settings
) -> tuple[Mapping[str, str], ValidationError | None]:
    """A `reopen` token (the link in a reply email) names the visitor whose conversation to open: the
    socket speaks for that visitor. A bad or expired token is reported and otherwise ignored."""
    token = query.get("reopen")
    if not token:
        return query, None
    try:
        found = ReopenLinks(settings).verify(token)
    except ValidationError as exc:
        return query, exc
    return {**query, "visitor": found.visitor}, None
