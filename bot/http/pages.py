"""Static pages: the embeddable widget, the demo checkout page, the JavaScript API example and the favicon.

`/widget.js` and the icons are served by `router.assets.Asset`: gzip, `ETag`/`Last-Modified` and 304, a
year's cache for versioned URLs (`?v=<hash>`, what our pages link) and a short, revalidated one for the
unversioned `/widget.js` that shops embed. The widget is one classic script for shops, assembled from its
modules (bot/static/widget/*.js, with the shared Markdown renderer) by `router.js_bundle`.
"""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from bot.channels.webchat import sign_user
from infra.app_keys import SETTINGS
from router.assets import Asset, add_assets, page
from router.js_bundle import BundleAsset, assemble

__all__ = ["WIDGET_GUARD", "add_routes", "assemble_widget"]

STATIC = Path(__file__).resolve().parent.parent / "static"


# A page that includes the widget twice runs it once (the first sets `window.Kundresa._loaded`).
WIDGET_GUARD = "if (window.Kundresa && window.Kundresa._loaded) return; // included twice"


def assemble_widget() -> bytes:
    """The script `/widget.js` serves (tests serve it from their own small apps too)."""
    return assemble(STATIC / "widget" / "main.js", WIDGET_GUARD)[0]


def _assets() -> list[Asset]:
    return [
        # shops load the widget from their own origin
        BundleAsset(
            STATIC / "widget" / "main.js",
            "/widget.js",
            "application/javascript",
            prologue=WIDGET_GUARD,
            headers={"Access-Control-Allow-Origin": "*"},
        ),
        Asset(STATIC / "favicon.ico", "/favicon.ico", "image/x-icon", charset=None),
        Asset(STATIC / "favicon.svg", "/favicon.svg", "image/svg+xml", charset=None),
    ]


# Demo pages: URL -> file in bot/static.
PAGES = {"/demo/checkout": "checkout.html", "/demo/api": "api-example.html"}


async def demo_page(request: web.Request) -> web.Response:
    # Versioned URLs: the browser keeps them a year, and a new deploy's page asks for the new file.
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}  # shown in frames too
    response = page(request, STATIC / PAGES[request.path], headers=headers)
    if request.path == "/demo/api" and response.text is not None:  # a page is always text
        users = f'id="demo-users">{_demo_users(request)}<'
        response.text = response.text.replace('id="demo-users">[]<', users)
    return response


# Two made-up customers the API example signs in and out (demo mode only: outside it the shop's server signs).
DEMO_USERS = (("demo-anna", "Anna Lindqvist", "anna@example.com"), ("demo-bo", "Bo Ek", "bo@example.com"))


def _demo_users(request: web.Request) -> str:
    settings = request.app[SETTINGS]
    secret = settings.chat.identity_secret
    if not settings.demo or secret is None:
        return "[]"
    key = secret.get_secret_value()
    users = [
        {
            "id": uid,
            "sig": sign_user(uid, key),
            "name": name,
            "email": email,
            "email_sig": sign_user(email, key),
        }
        for uid, name, email in DEMO_USERS
    ]
    return json.dumps(users).replace("<", "\\u003c")


def add_routes(app: web.Application) -> None:
    add_assets(app, *_assets())
    for route in PAGES:
        app.router.add_get(route, demo_page)
