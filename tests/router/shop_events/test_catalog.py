"""router/shop_events/catalog.py: which events are valid, their reasons, and their data masked."""

from __future__ import annotations

from typing import Any

import pytest

from config import TooLargeError, ValidationError
from router.shop_events.catalog import EventIn, parse_event


def test_payment_failed_needs_a_known_reason_and_defaults_to_other() -> None:
    assert parse_event("payment_failed", {"order_id": "A-1"}, reason="card_declined") == EventIn(
        "payment_failed", "card_declined", {"order_id": "A-1"}
    )
    # the reason may come inside data too, and is taken out of it
    assert parse_event("payment_failed", {"reason": "swish_timeout"}) == EventIn(
        "payment_failed", "swish_timeout", {}
    )
    assert parse_event("payment_failed", None).reason == "other"
    with pytest.raises(ValidationError) as bad:
        parse_event("payment_failed", {}, reason="stolen_card")
    assert bad.value.code == "invalid_reason"


def test_custom_events_and_their_optional_reason() -> None:
    assert parse_event("wishlist:added", {"sku": "X"}) == EventIn("wishlist:added", None, {"sku": "X"})
    assert parse_event("coupon.failed", {}, reason="expired").reason == "expired"
    with pytest.raises(ValidationError):
        parse_event("coupon.failed", {}, reason="Not A Code")


@pytest.mark.parametrize("name", [None, "", "Payment", "1st", "a" * 65, "with space", 7])
def test_bad_names_are_refused(name: Any) -> None:
    with pytest.raises(ValidationError) as bad:
        parse_event(name, {})
    assert bad.value.code == "invalid_event" and bad.value.status == 400


@pytest.mark.parametrize("data", [[1, 2], "text", {"a": float("nan")}, {"a": {"b": {"c": {"d": {"e": 1}}}}}])
def test_data_must_be_a_plain_shallow_object(data: Any) -> None:
    with pytest.raises(ValidationError):
        parse_event("checkout_idle", data)


def test_data_over_the_size_limit_is_too_large() -> None:
    with pytest.raises(TooLargeError):
        parse_event("checkout_idle", {"note": "x" * 3000})
    assert parse_event("checkout_idle", {"note": "x" * 3000}, max_bytes=4096).data["note"] == "x" * 3000


def test_card_numbers_in_data_are_masked() -> None:
    event = parse_event("payment_failed", {"note": "kort 4111 1111 1111 1111"}, reason="card_declined")
    assert event.data == {"note": "kort [kort ••••1111]"}
