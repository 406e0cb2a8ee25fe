"""`/console-common.js`: the helpers the agent console (/agent) and the admin console (/admin) share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = '<script src="console-common.js" defer></script>'


async def test_common_script_is_served(app_client: Any) -> None:
    resp = await app_client.get("/console-common.js")
    assert resp.status == 200
    assert resp.content_type == "application/javascript"
    assert resp.charset == "utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    js = await resp.text()
    assert "window.KundresaConsole" in js
    assert "innerHTML" not in js


@pytest.mark.parametrize(("page", "own"), [("/agent", "agent/agent.js"), ("/admin", "admin/admin.js")])
async def test_both_pages_load_it_before_their_own_script(app_client: Any, page: str, own: str) -> None:
    resp = await app_client.get(page)
    assert resp.status == 200
    html = await resp.text()
    assert html.count(SCRIPT) == 1, page
    # Relative to the page, so it works under a mount prefix too; deferred scripts run in order.
    assert html.index(SCRIPT) < html.index(f'<script src="{own}" defer></script>')


@pytest.mark.parametrize("path", ["bot/static/admin.js", "router/static/agent.js"])
def test_consoles_use_the_shared_helpers_not_copies(path: str) -> None:
    js = (ROOT / path).read_text()
    assert "window.KundresaConsole" in js
    for copy in ("class ApiError", "function el(", "const store = {", "async function api("):
        assert copy not in js, f"{path} has its own {copy!r} again: use window.KundresaConsole"
