"""Static pages: the embeddable widget, the demo checkout page and the favicon.

`/widget.js` and the icons are served by `router.assets.Asset`: gzip, `ETag`/`Last-Modified` and 304, a
year's cache for versioned URLs (`?v=<hash>`, what our pages link) and a short, revalidated one for the
unversioned `/widget.js` that shops embed.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from router.assets import Asset

__all__ = ["add_routes"]

STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS = web.AppKey("static_assets", dict[str, Asset])


def _assets() -> dict[str, Asset]:
    return {
        "/widget.js": Asset(STATIC / "widget.js", "/widget.js", "application/javascript"),
        "/favicon.ico": Asset(STATIC / "favicon.ico", "/favicon.ico", "image/x-icon", charset=None),
        "/favicon.svg": Asset(STATIC / "favicon.svg", "/favicon.svg", "image/svg+xml", charset=None),
    }


async def asset(request: web.Request) -> web.Response:
    found = request.app[ASSETS][request.path]
    headers = {"Access-Control-Allow-Origin": "*"} if request.path == "/widget.js" else {}
    return found.respond(request, headers)  # the widget: shops load it from their own origin


async def demo_checkout(request: web.Request) -> web.Response:
    assets = request.app[ASSETS]
    html = (STATIC / "checkout.html").read_text(encoding="utf-8")
    # Versioned URLs: the browser keeps them a year, and a new deploy's page asks for the new file.
    html = html.replace('src="/widget.js"', f'src="{assets["/widget.js"].url}"')
    html = html.replace('href="/favicon.svg"', f'href="{assets["/favicon.svg"].url}"')
    return web.Response(
        text=html,
        content_type="text/html",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def add_routes(app: web.Application) -> None:
    app[ASSETS] = _assets()
    for route in app[ASSETS]:
        app.router.add_get(route, asset)
    app.router.add_get("/demo/checkout", demo_checkout)
