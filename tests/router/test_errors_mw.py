"""router/errors_mw.py on a small real aiohttp app: every failure is JSON, a bug is a logged 500 with a
request id, a NUL in the URL is refused before any handler."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web

from config import NotFoundError, UnavailableError
from router.errors_mw import error_middleware

ran: list[str] = []


async def ok(request: web.Request) -> web.Response:
    ran.append(request.path)
    return web.json_response({"ok": True})


async def missing(request: web.Request) -> web.Response:
    raise NotFoundError("no article 7")


async def away(request: web.Request) -> web.Response:
    raise UnavailableError("the database is away")


async def bug(request: web.Request) -> web.Response:
    raise ZeroDivisionError("a bug")


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ok")


@pytest.fixture
async def client(aiohttp_client: Any) -> Any:
    app = web.Application(middlewares=[error_middleware])
    for path, handler in (
        ("/ok", ok),
        ("/missing", missing),
        ("/away", away),
        ("/bug", bug),
        ("/go", redirect),
    ):
        app.router.add_get(path, handler)
    return await aiohttp_client(app)


async def test_a_kundresa_error_keeps_its_status_and_code_and_is_not_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    resp = await client.get("/missing")
    assert resp.status == 404
    assert await resp.json() == {"error": {"code": "not_found", "message": "no article 7"}}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_aiohttp_errors_become_json_and_redirects_pass(client: Any) -> None:
    resp = await client.get("/nowhere")
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    resp = await client.post("/ok")
    assert resp.status == 405 and (await resp.json())["error"]["code"] == "method_not_allowed"
    resp = await client.get("/go", allow_redirects=False)
    assert resp.status == 302


async def test_a_bug_is_a_500_with_a_request_id_and_one_log_line(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    resp = await client.get("/bug", headers={"X-Request-Id": "proxy-abc.1"})
    body = await resp.json()
    assert resp.status == 500 and body["error"]["code"] == "internal_error"
    assert body["error"]["request_id"] == resp.headers["X-Request-Id"] == "proxy-abc.1"
    assert "ZeroDivisionError" not in str(body)
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "proxy-abc.1" in logged.getMessage() and logged.exc_info is not None
    resp = await client.get("/bug", headers={"X-Request-Id": "not a good id; <script>"})
    rid = (await resp.json())["error"]["request_id"]
    assert rid != "not a good id; <script>" and len(rid) == 16  # a new one instead


async def test_our_own_5xx_keeps_its_code_and_names_a_request_id(client: Any) -> None:
    resp = await client.get("/away")
    body = await resp.json()
    assert resp.status == 503 and body["error"]["code"] == "unavailable" and body["error"]["request_id"]


async def test_a_nul_in_the_url_is_refused_before_the_handler(client: Any) -> None:
    ran.clear()
    for url in ("/ok?q=a%00b", "/ok?a%00=1", "/ok%00"):
        resp = await client.get(url)
        assert resp.status == 400, url
        assert (await resp.json())["error"]["code"] == "invalid_text"
    assert ran == []
    assert (await client.get("/ok?q=fine")).status == 200 and ran == ["/ok"]
