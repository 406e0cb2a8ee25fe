"""Article changes made through one process reach every process's search index (PostgreSQL deployments)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from config import Settings
from infra.app_keys import SESSIONS
from router.auth import create_user
from tests.settings_for import settings_for

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


async def test_a_change_announced_by_a_process_without_a_bridge_reaches_a_running_server(
    aiohttp_client: Any, pg_kb_db_url: str
) -> None:
    """`kundresa customer erase` (a CLI process) changes articles in the database and announces the slugs
    with `notify_once`: a running server reindexes them without a restart."""
    from sqlalchemy import select

    from bot.app import create_app
    from bot.knowledge_sync import TOPIC
    from infra.app_keys import ENGINE
    from knowledge.models import Article, ExampleQuestion
    from router.pg_events import notify_once

    a = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    admin = await _admin(a.app, "ada")
    article = {"slug": "gift-wrap", "title": "Gift wrapping", "lang": "en", "body": "Paper and ribbons."}
    assert (await a.post("/api/articles", json=article, headers=admin)).status == 201
    assert await _top(a, admin) != "gift-wrap"
    async with a.app[SESSIONS]() as session, session.begin():  # as another process would write it
        article_id = await session.scalar(select(Article.id).where(Article.slug == "gift-wrap"))
        session.add(ExampleQuestion(article_id=article_id, text=QUESTION, source="admin"))
    assert await _top(a, admin) != "gift-wrap"  # the index does not know yet
    await notify_once(a.app[ENGINE], TOPIC, {"origin": "cli", "slugs": ["gift-wrap"]})

    async def found() -> bool:
        return await _top(a, admin) == "gift-wrap"

    await _until(found)
