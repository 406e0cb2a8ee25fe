"""Static assets: gzip, ETag/Last-Modified and 304, long cache for versioned URLs, the favicon."""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.http import pages
from router.assets import LONG_CACHE, SHORT_CACHE, Asset, accepts_gzip

STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"
WIDGET = pages.assemble_widget()
VERSION = hashlib.sha256(WIDGET).hexdigest()[:16]


@pytest.fixture
async def client(aiohttp_client: Any) -> Any:
    """The pages' routes alone (no model, no database), with a client that shows bodies as sent (and,
    like browsers, asks for gzip unless told otherwise)."""
    app = web.Application()
    pages.add_routes(app)
    return await aiohttp_client(app, auto_decompress=False)


async def test_widget_is_gzipped_when_the_client_accepts_it(client: Any) -> None:
    resp = await client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert resp.status == 200
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Vary"] == "Accept-Encoding"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.content_type == "application/javascript"
    raw = await resp.read()
    assert gzip.decompress(raw) == WIDGET
    assert len(raw) < len(WIDGET) / 3  # 52 KB of JavaScript: about a quarter on the wire

    plain = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert await plain.read() == WIDGET
    refused = await client.get("/widget.js", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    # the two encodings are different representations: different tags
    assert plain.headers["ETag"] == f'"{VERSION}"' and resp.headers["ETag"] == f'"{VERSION}-gzip"'


async def test_etag_and_last_modified_give_304(client: Any) -> None:
    first = await client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = await client.get("/widget.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == SHORT_CACHE
    # a cache that stored the plain version revalidates with its tag (weak comparison, lists)
    plain_tag = f'W/"{VERSION}"'
    listed = await client.get("/widget.js", headers={"If-None-Match": f'"other", {plain_tag}'})
    assert listed.status == 304
    changed = await client.get("/widget.js", headers={"If-None-Match": '"an-old-version"'})
    assert changed.status == 200 and gzip.decompress(await changed.read()) == WIDGET
    since = await client.get("/widget.js", headers={"If-Modified-Since": modified})
    assert since.status == 304
    older = await client.get("/widget.js", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status == 200
    garbage = await client.get("/widget.js", headers={"If-Modified-Since": "yesterday-ish"})
    assert garbage.status == 200
    # If-None-Match wins over If-Modified-Since
    both = await client.get("/widget.js", headers={"If-None-Match": '"x"', "If-Modified-Since": modified})
    assert both.status == 200


async def test_versioned_urls_are_cached_for_a_year_unversioned_briefly(client: Any) -> None:
    versioned = await client.get(f"/widget.js?v={VERSION}")
    assert versioned.headers["Cache-Control"] == LONG_CACHE == "public, max-age=31536000, immutable"
    unversioned = await client.get("/widget.js")
    assert unversioned.headers["Cache-Control"] == SHORT_CACHE
    assert "max-age=300" in SHORT_CACHE and "must-revalidate" in SHORT_CACHE
    stale = await client.get("/widget.js?v=0123456789abcdef")  # an old page after a deploy: not for a year
    assert stale.headers["Cache-Control"] == SHORT_CACHE
    assert gzip.decompress(await stale.read()) == WIDGET


async def test_the_demo_page_links_versioned_urls_and_the_favicon(client: Any) -> None:
    resp = await client.get("/demo/checkout")
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-cache"
    html = await resp.text()
    assert f'<script src="/widget.js?v={VERSION}"' in html
    icon = re.search(r'<link rel="icon" href="(/favicon\.svg\?v=[0-9a-f]{16})" type="image/svg\+xml">', html)
    assert icon is not None
    svg = await client.get(icon.group(1), headers={"Accept-Encoding": "identity"})
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    assert svg.headers["Cache-Control"] == LONG_CACHE
    assert (await svg.read()).startswith(b"<svg")
    # the page's own script finds the versioned tag to pass ?user=… and the like on
    assert """querySelector('script[src^="/widget.js"]')""" in html


async def test_favicon_ico_is_an_icon(client: Any) -> None:
    resp = await client.get("/favicon.ico", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200
    assert resp.content_type == "image/x-icon"
    assert "Content-Encoding" not in resp.headers  # PNG inside: gzip would not shrink it
    body = await resp.read()
    reserved, kind, count = struct.unpack("<HHH", body[:6])
    assert (reserved, kind) == (0, 1) and count >= 1
    sizes = [body[6 + 16 * i] for i in range(count)]
    assert 16 in sizes and 32 in sizes
    offset = struct.unpack("<I", body[6 + 12 : 6 + 16])[0]
    assert body[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
    assert resp.headers["ETag"] and resp.headers["Cache-Control"] == SHORT_CACHE


async def test_head_gives_the_headers_without_the_body(client: Any) -> None:
    resp = await client.head("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.headers["ETag"] == f'"{VERSION}-gzip"'
    assert await resp.read() == b""


async def test_an_edited_file_is_served_at_once_with_a_new_version(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    path = tmp_path / "app.js"
    path.write_text("console.log('one');\n" * 40)
    asset = Asset(path, "/app.js", "application/javascript")
    app = web.Application()

    async def serve(request: web.Request) -> web.Response:
        return asset.respond(request)

    app.router.add_get("/app.js", serve)
    client = await aiohttp_client(app)
    first = asset.version
    assert (await client.get("/app.js")).headers["ETag"] == f'"{first}-gzip"'
    path.write_text("console.log('two');\n" * 41)  # another size: noticed even within the mtime's granularity
    resp = await client.get("/app.js", headers={"If-None-Match": f'"{first}"'})
    assert resp.status == 200 and "two" in await resp.text()
    assert asset.version != first and asset.url == f"/app.js?v={asset.version}"


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip")
    assert accepts_gzip("br, GZIP;q=0.5")
    assert accepts_gzip("*")
    assert not accepts_gzip("")
    assert not accepts_gzip("identity")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("br, gzip; q=0.0")


async def test_the_real_app_serves_them(app_client: Any) -> None:
    resp = await app_client.get("/favicon.ico")
    assert resp.status == 200 and resp.content_type == "image/x-icon"
    resp = await app_client.get("/widget.js")
    assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"  # aiohttp asks for gzip
    assert await resp.read() == WIDGET  # and unpacks it
