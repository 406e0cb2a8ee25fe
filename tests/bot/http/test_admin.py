"""The admin console (`bot.http.admin`) through the real app: the page and its CSP, the widget and the
console sharing one Markdown renderer, the config endpoint, and the console's API needing an admin.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parents[3] / "bot" / "static"
Client = Any


# -- the page -------------------------------------------------------------------------------------------
async def test_page_is_served_with_a_strict_csp(app_client: Client) -> None:
    resp = await app_client.get("/admin")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1).strip() == "'self'"  # no inline script, no eval, no CDN
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = await resp.text()
    for hook in (
        "admin-token",
        "admin-login",
        "article-list",
        "article-new",
        "editor-title",
        "editor-slug",
        "editor-body",
        "editor-tags",
        "editor-lang",
        "editor-preview",
        "editor-question-input",
        "editor-question-add",
        "editor-save-draft",
        "editor-publish",
        "history",
        "history-restore",
        "try-input",
        "try-run",
        "try-result",
        "gaps",
        "dashboard",
    ):
        assert f'id="{hook}"' in page, hook
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from a CDN or another site
    assert "<script>" not in page  # scripts only from the app itself

    for path in ("/admin/main.js", "/markdown/render.js"):
        js = await app_client.get(path)
        assert js.status == 200, path
        assert js.content_type == "text/javascript"
        assert "innerHTML" not in await js.text()

    slash = await app_client.get("/admin/", allow_redirects=False)
    assert slash.status == 302 and slash.headers["Location"] == "/admin"


def test_preview_uses_the_widgets_own_renderer_and_css() -> None:
    """One renderer and one set of message rules (bot/static/markdown/), imported by preview and widget."""
    editor = (STATIC / "admin" / "editor.js").read_text()
    main = (STATIC / "admin" / "main.js").read_text()
    assert "import { renderMarkdown } from '../markdown/render.js';" in editor
    assert "import { MESSAGE_CSS } from '../markdown/style.js';" in main
    assert "kundresa-bubble" not in (STATIC / "admin.html").read_text()  # not copied into the page
    assert (
        "import { MESSAGE_CSS } from '../markdown/style.js';" in (STATIC / "widget" / "styles.js").read_text()
    )


# -- roles ----------------------------------------------------------------------------------------------
ADMIN_ROUTES = [
    ("GET", "/api/admin/config"),
    ("POST", "/api/articles/import?format=jsonl"),
    ("GET", "/api/articles/export?format=jsonl"),
    ("GET", "/api/articles/health"),
    ("DELETE", "/api/articles/swish-betalning/questions"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_need_an_admin(
    app_client: Client, agent_headers: dict[str, str], method: str, path: str
) -> None:
    body = b'{"text": "x"}'
    resp = await app_client.request(method, path, data=body)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    resp = await app_client.request(method, path, data=body, headers=agent_headers)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "forbidden"


async def test_config_names_the_admin_and_the_teams(
    app_client: Client, admin_headers: dict[str, str]
) -> None:
    resp = await app_client.get("/api/admin/config", headers=admin_headers)
    assert resp.status == 200
    data = await resp.json()
    assert data["user"] == {"name": "ada", "role": "admin"}
    assert data["teams"]["betalning"] == "payments"
    assert data["default_team"] == "support"
