"""router/shop_events/signing.py: HMAC-SHA256 over "<timestamp>." + body, within a time tolerance."""

from __future__ import annotations

import pytest

from config import UnauthorizedError
from router.shop_events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_event, verify_event

SECRET = "shop-secret"
BODY = b'{"name": "payment_failed"}'
NOW = 1_760_000_000


def headers(signature: str, stamp: int | str = NOW) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: signature}


def test_a_signed_body_verifies_and_returns_its_hex_signature() -> None:
    signature = sign_event(SECRET, NOW, BODY)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_event(headers(signature), BODY, SECRET, 300, now=NOW + 299) == signature[7:]
    # the "sha256=" prefix is optional and the hex is case-insensitive
    assert verify_event(headers(signature[7:].upper()), BODY, SECRET, 300, now=NOW)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({}, "missing_signature"),
        ({TIMESTAMP_HEADER: str(NOW)}, "missing_signature"),
        (headers(sign_event(SECRET, NOW, BODY), "soon"), "bad_signature"),
        (headers(sign_event(SECRET, NOW, BODY + b" ")), "bad_signature"),  # another body
        (headers(sign_event("other-secret", NOW, BODY)), "bad_signature"),
        (headers(sign_event(SECRET, NOW - 301, BODY), NOW - 301), "stale_signature"),
        (headers(sign_event(SECRET, NOW + 301, BODY), NOW + 301), "stale_signature"),
    ],
)
def test_missing_wrong_and_stale_signatures_are_401(given: dict[str, str], code: str) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        verify_event(given, BODY, SECRET, 300, now=NOW)
    assert (refused.value.status, refused.value.code) == (401, code)


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    # a signature taken for one timestamp does not verify with another, even within the tolerance
    with pytest.raises(UnauthorizedError):
        verify_event(headers(sign_event(SECRET, NOW, BODY), NOW + 1), BODY, SECRET, 300, now=NOW)
