"""router/shop_events/http.py: the page context an event carries. The signed `POST /api/events` and the
rules API run through the real app in tests/router/test_shop_events.py and test_rules.py here."""

from __future__ import annotations

from router.shop_events.http import page_context


def test_page_context_keeps_known_scalar_keys_masked_and_cut() -> None:
    raw = {
        "step": "payment",
        "order_id": "kort 4111111111111111",
        "amount": 1847,
        "currency": "x" * 300,
        "cart": [1, 2],
        "ok": True,
    }
    assert page_context(raw) == {
        "step": "payment",
        "order_id": "kort [kort ••••1111]",
        "amount": 1847,
        "currency": "x" * 200,
    }


def test_page_context_of_anything_else_is_empty() -> None:
    assert page_context(None) == {} and page_context(["step"]) == {} and page_context("step") == {}
    assert page_context({"amount": True, "step": None}) == {}
