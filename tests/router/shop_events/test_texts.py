"""router/shop_events/texts.py: shop events as agents read them, in Swedish and English."""

from __future__ import annotations

from router.shop_events.texts import event_line, format_amount


def test_event_lines_in_swedish_and_english() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 5, 4, 12, 2, tzinfo=UTC)  # 14:02 in Stockholm (summer time)
    data = {"order_id": "NH-100234", "amount": 1847, "currency": "SEK"}
    assert event_line("payment_failed", "card_declined", data, {}, at) == (
        "Betalningen misslyckades: card_declined, 14:02, order NH-100234, 1 847 kr"
    )
    assert event_line("payment_failed", "swish_timeout", data, {}, at, "en", "UTC") == (
        "Payment failed: swish_timeout, 12:02, order NH-100234, 1,847 SEK"
    )
    assert event_line("checkout_idle", None, {"seconds": 90}, {"order_id": "A-1"}, at) == (
        "Står still i kassan, 14:02, order A-1, 90 s utan framsteg"
    )
    assert event_line("wishlist_added", None, {}, {}, at, "en", "UTC") == "Shop event: wishlist_added, 12:02"
    assert format_amount(1234567.5, "EUR", "sv") == "1 234 567,50 EUR"
    assert format_amount("12", "NOK", "sv") == "12 kr"
    assert format_amount(True, "SEK", "sv") is None and format_amount("lots", "SEK", "sv") is None
