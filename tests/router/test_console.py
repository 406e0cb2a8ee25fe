"""router/console.py: the agent console's page, its scripts, and `/api/console/mode`."""

from __future__ import annotations

from typing import Any


async def test_page_and_script_are_served(app_client: Any) -> None:
    resp = await app_client.get("/agent")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    html = await resp.text()
    assert 'id="agent-token"' in html and 'id="agent-queue"' in html
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    resp = await app_client.get("/agent/main.js")
    assert resp.status == 200
    assert resp.content_type == "text/javascript"
    assert "textContent" in await resp.text()
    resp = await app_client.get("/console/common.js")  # the helpers both consoles import
    assert resp.status == 200
    assert resp.content_type == "text/javascript"


async def test_mode_says_whether_the_server_runs_in_demo_mode(app_client: Any) -> None:
    resp = await app_client.get("/api/console/mode")  # public: both consoles ask before anyone signs in
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"
    assert await resp.json() == {"demo": False}  # the tests' settings: no demo mode
