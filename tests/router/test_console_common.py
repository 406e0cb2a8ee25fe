"""`/console-common.js`: the helpers the agent console (/agent) and the admin console (/admin) share."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from router.assets import LONG_CACHE, SHORT_CACHE

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = re.compile(r'<script src="console-common\.js\?v=([0-9a-f]{16})" defer></script>')


async def test_common_script_is_served(app_client: Any) -> None:
    resp = await app_client.get("/console-common.js")
    assert resp.status == 200
    assert resp.content_type == "application/javascript"
    assert resp.charset == "utf-8"
    assert resp.headers["Cache-Control"] == SHORT_CACHE  # unversioned: revalidated with its ETag
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["ETag"]
    js = await resp.text()
    assert "window.KundresaConsole" in js
    assert "innerHTML" not in js


@pytest.mark.parametrize(("page", "own"), [("/agent", "agent/agent.js"), ("/admin", "admin/admin.js")])
async def test_both_pages_load_it_before_their_own_script(app_client: Any, page: str, own: str) -> None:
    resp = await app_client.get(page)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"  # the page names the current versions
    html = await resp.text()
    found = SCRIPT.findall(html)
    assert len(found) == 1, page
    # Relative to the page, so it works under a mount prefix too; deferred scripts run in order.
    mine = re.search(rf'<script src="{re.escape(own)}\?v=[0-9a-f]{{16}}" defer></script>', html)
    assert mine is not None, own
    first = SCRIPT.search(html)
    assert first is not None and first.start() < mine.start()
    versioned = await app_client.get(f"/console-common.js?v={found[0]}")
    assert versioned.status == 200 and versioned.headers["Cache-Control"] == LONG_CACHE


@pytest.mark.parametrize("path", ["bot/static/admin.js", "router/static/agent.js"])
def test_consoles_use_the_shared_helpers_not_copies(path: str) -> None:
    js = (ROOT / path).read_text()
    assert "window.KundresaConsole" in js
    for copy in ("class ApiError", "function el(", "const store = {", "async function api("):
        assert copy not in js, f"{path} has its own {copy!r} again: use window.KundresaConsole"
