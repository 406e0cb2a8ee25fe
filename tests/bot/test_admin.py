"""The admin console (`bot.http.admin`) through the real app: the page and its CSP, the widget and the
console sharing one Markdown renderer, the config endpoint, and the console's API needing an admin.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

STATIC = Path(__file__).resolve().parent.parent.parent / "bot" / "static"
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

    for path in ("/admin/admin.js", "/admin/markdown.js"):
        js = await app_client.get(path)
        assert js.status == 200, path
        assert js.content_type == "application/javascript"
        assert "innerHTML" not in await js.text()

    slash = await app_client.get("/admin/", allow_redirects=False)
    assert slash.status == 302 and slash.headers["Location"] == "/admin"


def _shared_block(text: str) -> str:
    match = re.search(
        r"^ *// BEGIN shared Markdown renderer.*?^ *// END shared Markdown renderer$", text, re.S | re.M
    )
    assert match, "shared Markdown renderer markers missing"
    return match.group(0)


def test_widget_and_console_share_one_markdown_renderer() -> None:
    widget = (STATIC / "widget.js").read_text()
    shared = (STATIC / "markdown.js").read_text()
    assert _shared_block(widget) == _shared_block(shared)
    assert "window.KundresaMarkdown" in shared
    assert "innerHTML" not in _shared_block(widget)


def test_preview_uses_the_widgets_own_css_rules() -> None:
    """The preview's look comes from the widget's rules, copied verbatim: a change to one shows here."""
    widget = (STATIC / "widget.js").read_text().splitlines()
    page = (STATIC / "admin.html").read_text().splitlines()
    selectors = (
        ".kundresa-msg{",
        ".kundresa-msg--them{",
        ".kundresa-bubble{",
        ".kundresa-msg--them .kundresa-bubble{",
        ".kundresa-md{",
        ".kundresa-p{",
        ".kundresa-p:last-child,",
        ".kundresa-mdh{",
        ".kundresa-list{",
        ".kundresa-list li{",
        ".kundresa-ul{",
        ".kundresa-ol{",
        ".kundresa-code{",
        ".kundresa-link{",
        ".kundresa-article{",
    )
    for selector in selectors:
        rules = [line for line in widget if line.startswith(selector)]
        assert len(rules) == 1, selector
        assert rules[0] in page, f"admin.html lacks the widget's rule {rules[0]!r}"


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
