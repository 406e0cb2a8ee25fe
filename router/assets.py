"""Static files served compressed and cacheable: gzip, `ETag` / `Last-Modified` and 304, versioned URLs.

Every static file of the app is an `Asset` registered with `add_assets` (one handler serves them all); the
HTML pages that load them (`page`) are never cached and link each asset by its versioned URL.

A file is read (and gzipped) once per change on disk: each request costs a `stat`, so an edited file is
served at once in development. Its version is a hash of its bytes: pages link `/widget.js?v=<version>`,
which browsers may keep for a year (`immutable`: a new version is a new URL); the unversioned URL (what
shops embed, and a stale version after a deploy) gets a short cache and is revalidated with the `ETag`.

The consoles are native ES modules (`js_modules`): a page links its entry module by versioned URL, but the
modules it imports are fetched by their plain URLs (`import … from './api.js'`), which no page rewrites.
Those answer `no-cache` with an `ETag`, so a browser revalidates each one (a 304, no body) and never runs
a new entry module against an old import: correct after every deploy, at the cost of one small request
per module on a page load. (Versioned import URLs would need every module rewritten with the hashes of
what it imports, and the consoles' modules import each other in cycles, which such hashes cannot follow.)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from aiohttp import web

__all__ = [
    "ASSETS",
    "LONG_CACHE",
    "MODULE_CACHE",
    "PAGE_HEADERS",
    "SHORT_CACHE",
    "Asset",
    "accepts_gzip",
    "add_assets",
    "js_modules",
    "page",
]

LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300, must-revalidate"
MODULE_CACHE = "no-cache"  # an imported module: revalidated on every use (see above)
JS = "text/javascript"  # RFC 9239
MIN_GZIP_BYTES = 256  # smaller files gain less than the header costs
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
PAGE_HEADERS = {
    "Cache-Control": "no-cache",  # a page names the current versions of its scripts
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_LINK = re.compile(r'\b(src|href)="(/?[A-Za-z0-9._/-]+)"')


@dataclass(frozen=True)
class _Loaded:
    stamp: object  # the source files' (mtime_ns, size): read again when it changes
    body: bytes
    gzipped: bytes | None
    version: str
    last_modified: str
    mtime: int


class Asset:
    """One static file. `respond(request)` answers a GET/HEAD for it; `url` is its versioned URL."""

    def __init__(
        self,
        path: Path,
        route: str,
        content_type: str,
        charset: str | None = "utf-8",
        headers: Mapping[str, str] | None = None,
        unversioned_cache: str = SHORT_CACHE,
    ) -> None:
        self.path, self.route = path, route
        self.content_type, self.charset = content_type, charset
        self.headers = dict(headers or {})  # sent with every answer (e.g. CORS for the widget)
        self.unversioned_cache = unversioned_cache
        self._loaded: _Loaded | None = None

    def stamp(self) -> tuple[object, int]:
        """What changes when the served bytes may have (read again then), and the newest mtime (seconds)."""
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size), int(st.st_mtime)

    def read(self) -> bytes:
        """The bytes to serve."""
        return self.path.read_bytes()

    def _load(self) -> _Loaded:
        stamp, mtime = self.stamp()
        loaded = self._loaded
        if loaded is None or loaded.stamp != stamp:
            body = self.read()
            compress = len(body) >= MIN_GZIP_BYTES and self.content_type.startswith(COMPRESSIBLE)
            # mtime=0: the same bytes give the same gzip, in every process of a deployment
            gzipped = gzip.compress(body, compresslevel=9, mtime=0) if compress else None
            loaded = self._loaded = _Loaded(
                stamp,
                body,
                gzipped,
                hashlib.sha256(body).hexdigest()[:16],
                formatdate(mtime, usegmt=True),
                mtime,
            )
        return loaded

    @property
    def version(self) -> str:
        return self._load().version

    @property
    def url(self) -> str:
        """The versioned URL pages link to (long-cached)."""
        return f"{self.route}?v={self.version}"

    def respond(self, request: web.Request, headers: dict[str, str] | None = None) -> web.Response:
        loaded = self._load()
        versioned = request.query.get("v") == loaded.version
        use_gzip = loaded.gzipped is not None and accepts_gzip(request.headers.get("Accept-Encoding", ""))
        etag = f'"{loaded.version}-gzip"' if use_gzip else f'"{loaded.version}"'
        out = {
            **self.headers,
            **(headers or {}),
            "Cache-Control": LONG_CACHE if versioned else self.unversioned_cache,
            "ETag": etag,
            "Last-Modified": loaded.last_modified,
            "X-Content-Type-Options": "nosniff",
        }
        if loaded.gzipped is not None:
            out["Vary"] = "Accept-Encoding"
        if _not_modified(request, loaded):
            return web.Response(status=304, headers=out)
        if use_gzip:
            out["Content-Encoding"] = "gzip"
        body = loaded.gzipped if use_gzip and loaded.gzipped is not None else loaded.body
        return web.Response(body=body, content_type=self.content_type, charset=self.charset, headers=out)


ASSETS = web.AppKey("static_assets", dict[str, Asset])  # route -> asset, every static file of the app


def js_modules(folder: Path, route: str) -> list[Asset]:
    """Every ES module (`*.js`) in `folder`, served at `route/<name>` with `text/javascript`: a page links
    the entry module by versioned URL; the modules it imports are revalidated on each use (`MODULE_CACHE`)."""
    return [
        Asset(path, f"{route}/{path.name}", JS, unversioned_cache=MODULE_CACHE)
        for path in sorted(folder.glob("*.js"))
    ]


def add_assets(app: web.Application, *assets: Asset) -> None:
    """Serve these files at their routes (GET and HEAD)."""
    known = app.get(ASSETS)
    if known is None:
        known = app[ASSETS] = {}
    for asset in assets:
        known[asset.route] = asset
        app.router.add_get(asset.route, _serve)


async def _serve(request: web.Request) -> web.Response:
    return request.app[ASSETS][request.path].respond(request)


def page(
    request: web.Request, path: Path, csp: str | None = None, headers: Mapping[str, str] = PAGE_HEADERS
) -> web.Response:
    """An HTML page whose links to the app's assets (`src="…"`, `href="…"`, absolute or relative to the
    root) carry their version, so a browser may keep them a year and still gets a deploy's new files.
    A relative link stays relative (the consoles work under a mount prefix)."""
    assets = request.app.get(ASSETS, {})

    def versioned(match: re.Match[str]) -> str:
        asset = assets.get("/" + match.group(2).lstrip("/"))
        if asset is None:
            return match.group(0)
        return f'{match.group(1)}="{match.group(2)}?v={asset.version}"'

    html = _LINK.sub(versioned, path.read_text(encoding="utf-8"))
    out = {**headers, **({"Content-Security-Policy": csp} if csp else {})}
    return web.Response(text=html, content_type="text/html", headers=out)


def _not_modified(request: web.Request, loaded: _Loaded) -> bool:
    """If-None-Match (weak comparison, either encoding's tag) wins over If-Modified-Since (RFC 9110)."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}
        return "*" in tags or bool(tags & {loaded.version, f"{loaded.version}-gzip"})
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return loaded.mtime <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError, OverflowError):
            return False  # not a date: send the file
    return False


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (not `gzip;q=0`)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return True
    return False
