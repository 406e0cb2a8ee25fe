"""Static pages: the embeddable widget and the demo checkout page."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent.parent / "static"


def _file(name: str, content_type: str) -> web.Response:
    return web.Response(
        body=(STATIC / name).read_bytes(),
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


async def widget_js(request: web.Request) -> web.Response:
    resp = _file("widget.js", "application/javascript")
    resp.headers["Access-Control-Allow-Origin"] = "*"  # shops load it from their own origin
    return resp


async def demo_checkout(request: web.Request) -> web.Response:
    return _file("checkout.html", "text/html")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/demo/checkout", demo_checkout)
