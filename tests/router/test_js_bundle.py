"""`router.js_bundle`: ES modules assembled into one classic script (the widget), and served as an asset."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.http import pages
from config.errors import ConfigError
from router.assets import SHORT_CACHE, add_assets
from router.js_bundle import BundleAsset, assemble

STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"
STATEMENT = re.compile(r"^\s*(?:import\b(?!\()|export\b)", re.M)


def test_the_widget_is_one_script_without_imports_or_exports() -> None:
    js = pages.assemble_widget().decode("utf-8")
    assert not STATEMENT.search(js)
    assert js.startswith("/**\n * Kundresa web chat widget")  # the entry's doc comment, for shops reading it
    assert js.rstrip().endswith("})();")
    assert js.count("const renderMarkdown = (() => {") == 1  # the one renderer (bot/static/markdown/)
    assert js.count(".kundresa-md{white-space:normal}") == 1  # and its CSS, once
    assert "window.Kundresa._loaded) return; // included twice" in js
    # every module of the widget is in it, in an order where each comes after what it imports
    order = re.findall(r"^// ---- (\S+)$", js, re.M)
    assert set(order) >= {f"widget/{p.name}" for p in (STATIC / "widget").glob("*.js")}
    assert order.index("markdown/style.js") < order.index("widget/styles.js")
    assert (
        order.index("widget/config.js") < order.index("widget/texts.js") < order.index("widget/transcript.js")
    )
    assert order[-1] == "widget/main.js"
    assert pages.assemble_widget() == pages.assemble_widget()  # deterministic


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / "main.js"


def test_modules_come_after_their_imports_and_lose_import_and_export(tmp_path: Path) -> None:
    entry = _write(
        tmp_path / "app",
        {
            "main.js": (
                "/** Entry. */\nimport { a } from './a.js';\n"
                "import {\n  b,\n} from '../lib/b.js';\nrun(a, b);\n"
            ),
            "a.js": "import { b } from '../lib/b.js';\nexport const a = b + 1;\n",
            "../lib/b.js": "export function b() {}\n",
        },
    )
    body, files = assemble(entry, "// first")
    js = body.decode()
    assert [f.name for f in files] == ["b.js", "a.js", "main.js"]
    assert js.startswith("/** Entry. */\n")
    assert "(() => {\n'use strict';\n// first\n" in js
    assert js.index("function b() {}") < js.index("const a = b + 1;") < js.index("run(a, b);")
    assert not STATEMENT.search(js)


def test_a_cycle_is_followed_as_a_browser_does(tmp_path: Path) -> None:
    entry = _write(
        tmp_path,
        {
            "main.js": "import { x } from './x.js';\nx();\n",
            "x.js": "import { y } from './y.js';\nexport function x() { y(); }\n",
            "y.js": "import { x } from './x.js';\nexport function y() {}\n",
        },
    )
    assert [f.name for f in assemble(entry)[1]] == ["y.js", "x.js", "main.js"]


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"main.js": "import { a } from './a.js';\n", "a.js": "export default 1;\n"}, "does not take"),
        ({"main.js": "import { a } from 'a';\n"}, "only relative imports"),
        ({"main.js": "import { a } from './gone.js';\n"}, "not there"),
        ({"main.js": "import './a.js';\nconst a = 1;\n", "a.js": "export const a = 2;\n"}, "both declare"),
    ],
)
def test_what_it_cannot_assemble_is_a_config_error(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        assemble(_write(tmp_path, files))


async def test_served_as_an_asset_and_assembled_again_on_change(aiohttp_client: Any, tmp_path: Path) -> None:
    entry = _write(
        tmp_path, {"main.js": "import './a.js';\n" + "go();\n" * 200, "a.js": "function go() {}\n"}
    )
    app = web.Application()
    add_assets(app, BundleAsset(entry, "/app.js", "application/javascript"))
    client = await aiohttp_client(app, auto_decompress=False)
    resp = await client.get("/app.js", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.content_type == "application/javascript"
    assert resp.headers["Content-Encoding"] == "gzip" and resp.headers["Cache-Control"] == SHORT_CACHE
    etag = resp.headers["ETag"]
    assert "function go() {}" in gzip.decompress(await resp.read()).decode()
    same = await client.get("/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert same.status == 304
    (tmp_path / "a.js").write_text("function go() { return 1; }\n")  # an imported module changes
    os.utime(tmp_path / "a.js", ns=(1, 1))
    changed = await client.get("/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    assert "return 1;" in gzip.decompress(await changed.read()).decode()


async def test_last_modified_is_the_newest_modules_from_the_first_answer(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    """A module newer than the entry: the first answer already says its time, so a browser's
    If-Modified-Since with that date is a 304 (it was the entry's time, then changed on the next request)."""
    entry = _write(tmp_path, {"main.js": "import './a.js';\ngo();\n", "a.js": "function go() {}\n"})
    os.utime(entry, (1_700_000_000, 1_700_000_000))
    os.utime(tmp_path / "a.js", (1_750_000_000, 1_750_000_000))
    app = web.Application()
    add_assets(app, BundleAsset(entry, "/app.js", "application/javascript"))
    client = await aiohttp_client(app)
    first = await client.get("/app.js")
    modified = first.headers["Last-Modified"]
    assert modified == "Sun, 15 Jun 2025 15:06:40 GMT"
    again = await client.get("/app.js", headers={"If-Modified-Since": modified})
    assert again.status == 304
