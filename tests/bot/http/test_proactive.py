"""bot/http/proactive.py: the app carries the shop-event, proactive-rule and insights routes (what they do:
tests/router/shop_events/, tests/router/test_insights.py; offers reaching an open widget:
tests/router/shop_events/test_http.py)."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import create_app
from config import Settings


def test_the_shop_and_insights_routes_are_registered(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings())
    routes = {(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None}
    assert {
        ("POST", "/api/events"),
        ("GET", "/api/proactive/rules"),
        ("POST", "/api/proactive/rules"),
        ("PUT", "/api/proactive/rules/{key}"),
        ("DELETE", "/api/proactive/rules/{key}"),
        ("GET", "/api/proactive/outcomes"),
    } <= routes
    assert any(path.startswith("/api/insights") for _, path in routes)
