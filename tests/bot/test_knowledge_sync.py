"""Article changes made through one process reach every process's search index (PostgreSQL deployments)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from settings_for import settings_for

from bot.app_keys import SESSIONS
from config import Settings
from router.auth import create_user

pytestmark = pytest.mark.postgres

QUESTION = "Can you wrap my order as a present with a card?"


def _settings(url: str) -> Settings:
    return settings_for(url, server={"load_demo_kb": False})


async def _admin(app: Any, name: str) -> dict[str, str]:
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, name, "admin")
    return {"Authorization": f"Bearer {token}"}


async def _top(client: Any, headers: dict[str, str]) -> str | None:
    resp = await client.get("/api/search", params={"q": QUESTION}, headers=headers)
    assert resp.status == 200, await resp.text()
    articles = (await resp.json())["articles"]
    return articles[0]["slug"] if articles else None


async def _until(check: Any, wait: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + wait
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the other process's index never caught up"
        await asyncio.sleep(0.1)


async def test_an_article_saved_through_one_process_is_found_through_the_other(
    aiohttp_client: Any, pg_kb_db_url: str
) -> None:
    from bot.app import create_app

    a = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    b = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    admin_a, admin_b = await _admin(a.app, "ada"), await _admin(b.app, "bea")
    assert await _top(b, admin_b) != "gift-wrap"

    article = {
        "slug": "gift-wrap",
        "title": "Gift wrapping",
        "lang": "en",
        "body": "We wrap any order as a present and add a greeting card for 49 kr.",
        "questions": ["Can you gift wrap my order?", "Do you add a greeting card to a present?"],
    }
    resp = await a.post("/api/articles", json=article, headers=admin_a)
    assert resp.status == 201, await resp.text()
    assert await _top(a, admin_a) == "gift-wrap"

    async def b_finds_it() -> bool:
        return await _top(b, admin_b) == "gift-wrap"

    await _until(b_finds_it)

    resp = await a.delete("/api/articles/gift-wrap", headers=admin_a)
    assert resp.status == 200

    async def b_forgot_it() -> bool:
        return await _top(b, admin_b) != "gift-wrap"

    await _until(b_forgot_it)
