"""Static pages: the embeddable widget, the demo checkout page and the favicon.

`/widget.js` and the icons are served by `router.assets.Asset`: gzip, `ETag`/`Last-Modified` and 304, a
year's cache for versioned URLs (`?v=<hash>`, what our pages link) and a short, revalidated one for the
unversioned `/widget.js` that shops embed.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from router.assets import Asset, add_assets, page

__all__ = ["add_routes"]

STATIC = Path(__file__).resolve().parent.parent / "static"


def _assets() -> list[Asset]:
    return [
        # shops load the widget from their own origin
        Asset(
            STATIC / "widget.js",
            "/widget.js",
            "application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},
        ),
        Asset(STATIC / "favicon.ico", "/favicon.ico", "image/x-icon", charset=None),
        Asset(STATIC / "favicon.svg", "/favicon.svg", "image/svg+xml", charset=None),
    ]


async def demo_checkout(request: web.Request) -> web.Response:
    # Versioned URLs: the browser keeps them a year, and a new deploy's page asks for the new file.
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}  # shown in frames too
    return page(request, STATIC / "checkout.html", headers=headers)


def add_routes(app: web.Application) -> None:
    add_assets(app, *_assets())
    app.router.add_get("/demo/checkout", demo_checkout)
