"""bot/http/pages.py on the real app: the widget script, the demo pages, and the demo users the JavaScript
API example signs in (demo mode only)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.app import create_app
from bot.channels.webchat import sign_user
from config import Settings


async def test_widget_js_is_served(app_client: Any) -> None:
    resp = await app_client.get("/widget.js")
    assert resp.status == 200
    assert resp.content_type in ("application/javascript", "text/javascript")
    body = await resp.text()
    assert "/ws/chat" in body and "kundresa-launcher" in body


async def test_demo_checkout_page_embeds_the_widget(app_client: Any) -> None:
    resp = await app_client.get("/demo/checkout")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    body = await resp.text()
    assert '<script src="/widget.js?v=' in body  # versioned: long-cached (tests/router/test_assets.py)
    assert "data-context=" in body


async def test_the_api_example_signs_demo_users_in_demo_mode_only(
    aiohttp_client: Any, settings: Settings
) -> None:
    plain = await aiohttp_client(create_app(settings))
    assert 'id="demo-users">[]<' in await (await plain.get("/demo/api")).text()
    await plain.close()
    demo = await aiohttp_client(create_app(settings.model_copy(update={"demo": True})))
    body = await (await demo.get("/demo/api")).text()
    users = json.loads(re.search(r'id="demo-users">(.*?)<', body).group(1))  # type: ignore[union-attr]
    assert [u["id"] for u in users] == ["demo-anna", "demo-bo"]
    secret = settings.chat.identity_secret
    assert secret is not None and users[0]["sig"] == sign_user("demo-anna", secret.get_secret_value())


async def test_favicons_are_served(app_client: Any) -> None:
    for path, kind in (("/favicon.ico", "image/x-icon"), ("/favicon.svg", "image/svg+xml")):
        resp = await app_client.get(path)
        assert resp.status == 200 and resp.content_type == kind
