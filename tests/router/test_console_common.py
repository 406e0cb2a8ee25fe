"""The consoles as native ES modules: `/console/common.js` (the helpers the agent console and the admin
console share), each page's entry module, and every module they import, as a browser would fetch them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from router.assets import LONG_CACHE, MODULE_CACHE

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r'<script type="module" src="([a-z/]+\.js)\?v=([0-9a-f]{16})"></script>')
IMPORT = re.compile(r"""^import\s+(?:[\w$*{}\s,]+?\s+from\s+)?'([^']+)';""", re.M)
CONSOLE_MODULES = sorted(
    [*(ROOT / "bot/static/admin").glob("*.js"), *(ROOT / "router/static/agent").glob("*.js")]
)


async def test_common_module_is_served(app_client: Any) -> None:
    resp = await app_client.get("/console/common.js")
    assert resp.status == 200
    assert resp.content_type == "text/javascript"
    assert resp.charset == "utf-8"
    assert resp.headers["Cache-Control"] == MODULE_CACHE  # imported by plain URL: revalidated every time
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    etag = resp.headers["ETag"]
    js = await resp.text()
    assert "export function client(" in js and "window.KundresaConsole" not in js
    assert "innerHTML" not in js
    again = await app_client.get("/console/common.js", headers={"If-None-Match": etag})
    assert again.status == 304


@pytest.mark.parametrize(("page", "entries"), [("/agent", ["agent/main.js"]), ("/admin", ["admin/main.js"])])
async def test_each_page_loads_its_entry_module_versioned(
    app_client: Any, page: str, entries: list[str]
) -> None:
    resp = await app_client.get(page)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-cache"  # the page names the current versions
    html = await resp.text()
    found = ENTRY.findall(html)
    # Relative to the page, so it works under a mount prefix too; module scripts run in document order.
    assert [src for src, _ in found][: len(entries)] == entries
    assert "<script src=" not in html  # no classic scripts left
    for src, version in found:
        versioned = await app_client.get(f"/{src}?v={version}")
        assert versioned.status == 200 and versioned.headers["Cache-Control"] == LONG_CACHE


@pytest.mark.parametrize("page", ["/agent", "/admin"])
async def test_every_module_a_page_imports_resolves(app_client: Any, page: str) -> None:
    """Follow the imports from the page's module scripts, as the browser does: each URL answers 200 with
    JavaScript, and each import names something its module exports."""
    html = await (await app_client.get(page)).text()
    todo = [urljoin(f"http://app{page}", src) for src, _ in ENTRY.findall(html)]
    seen: dict[str, str] = {}
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        resp = await app_client.get(url.removeprefix("http://app"))
        assert resp.status == 200, url
        assert resp.content_type == "text/javascript", url
        seen[url] = await resp.text()
        todo += [urljoin(url, spec) for spec in IMPORT.findall(seen[url])]
    assert "http://app/console/common.js" in seen
    assert len(seen) > 10  # the console really is split
    for url, js in seen.items():
        for names, spec in re.findall(r"^import \{([^}]*)\} from '([^']+)';", js, re.M):
            target = seen[urljoin(url, spec)]
            for name in (n.strip() for n in names.split(",") if n.strip()):
                word = rf"(?<![\w$]){re.escape(name)}(?![\w$])"
                declared = rf"^export (?:async function|function|const|let|class) {word}"
                destructured = rf"^export const \{{[^}}]*{word}[^}}]*\}} ="
                assert re.search(declared, target, re.M) or re.search(destructured, target, re.M), (
                    f"{url} imports {name} from {spec}, which does not export it"
                )


@pytest.mark.parametrize("path", CONSOLE_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_consoles_use_the_shared_helpers_not_copies(path: Path) -> None:
    js = path.read_text()
    assert "window.KundresaConsole" not in js
    for copy in ("class ApiError", "function el(", "const store = {", "async function api("):
        assert copy not in js, f"{path} has its own {copy!r} again: import it from console/common.js"
