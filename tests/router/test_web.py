"""router/web.py on a small real aiohttp app over a migrated SQLite database: bounded JSON bodies, bearer
tokens and roles (`requires`), numeric path ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from infra.app_keys import SESSIONS, SETTINGS
from router.auth import create_user
from router.errors_mw import error_middleware
from router.web import path_id, read_object, requires, user_of


@requires("admin")
async def admin_echo(request: web.Request) -> web.Response:
    body = await read_object(request)
    return web.json_response({"id": path_id(request, "thing"), "user": user_of(request).name, "body": body})


@pytest.fixture
async def client(
    aiohttp_client: Any, make_settings: Callable[..., Settings], sessions: async_sessionmaker[AsyncSession]
) -> Any:
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS] = make_settings(server={"max_body_bytes": 64})
    app[SESSIONS] = sessions
    app.router.add_post("/things/{id}", admin_echo)
    async with sessions() as session, session.begin():
        await create_user(session, "ada", "admin", token="admin-token")
        await create_user(session, "agnes", "agent", token="agent-token")
    return await aiohttp_client(app)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def code(resp: Any) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]


async def test_roles_and_tokens(client: Any) -> None:
    resp = await client.post("/things/7", json={"a": 1}, headers=auth("admin-token"))
    assert await resp.json() == {"id": 7, "user": "ada", "body": {"a": 1}}
    assert await code(await client.post("/things/7", json={})) == (401, "unauthorized")
    assert await code(await client.post("/things/7", json={}, headers={"Authorization": "Bearer "})) == (
        401,
        "unauthorized",
    )
    assert await code(await client.post("/things/7", json={}, headers=auth("wrong"))) == (401, "unauthorized")
    assert (await client.post("/things/7", json={}, headers=auth("agent-token"))).status == 403
    assert admin_echo.required_role == "admin"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"[1, 2]", 400), (b"{", 400), (b'{"a": "' + b"x" * 100 + b'"}', 413)],
)
async def test_bodies_must_be_small_json_objects(client: Any, raw: bytes, status: int) -> None:
    resp = await client.post(
        "/things/7", data=raw, headers={**auth("admin-token"), "Content-Type": "application/json"}
    )
    assert resp.status == status


@pytest.mark.parametrize(
    ("raw_id", "expected"),
    [("abc", (400, "invalid_id")), ("-1", (400, "invalid_id")), ("0", (404, "not_found")),
     ("2147483648", (404, "not_found")), ("1" * 31, (400, "invalid_id"))],
)  # fmt: skip
async def test_path_ids_are_positive_integers_a_row_can_have(
    client: Any, raw_id: str, expected: tuple[int, str]
) -> None:
    assert (
        await code(await client.post(f"/things/{raw_id}", json={}, headers=auth("admin-token"))) == expected
    )


async def test_a_token_that_is_not_utf8_is_refused_with_401_not_a_500(client: Any) -> None:
    """Header bytes that are not UTF-8 reach the handler as surrogates; they are an unknown token."""
    import asyncio

    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        b"POST /things/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    assert response.startswith(b"HTTP/1.1 401"), response[:200]
    assert b'"unauthorized"' in response or b"unauthorized" in response.lower()
