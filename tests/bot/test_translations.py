"""Linked language versions of an article (`translation_of`) through the real app on a copy of the demo
database: the API (create, update, validation, groups), import/export in all three formats, search
answering in the customer's language (with the Swedish article as the fallback), the web chat widget's
language, and the 0002 migration on a fresh and on an existing 0001 database.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.app import create_app
from config import Settings
from infra.db import create_engine
from infra.migrate import alembic_config, upgrade
from knowledge.formats import read_articles

QUESTION_EN = "Why was my card declined when I tried to pay?"
QUESTION_SV = "Varför nekas mitt kort när jag försöker betala?"


@pytest.fixture
def settings(demo_db_settings: Settings) -> Settings:
    """Overrides conftest's: the same settings, on a copy of the demo database, without the demo's own
    English versions (these tests link their own), removed straight in SQLite before the app starts."""
    import sqlite3

    path = demo_db_settings.database.url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM articles WHERE translation_of IS NOT NULL")
    return demo_db_settings


def card_declined(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "card-declined",
        "title": "Your card is declined",
        "lang": "en",
        "tags": ["betalning", "kort"],
        "translation_of": "kort-nekas",
        "body": "If your card is declined, it is usually something at your bank: call them.",
        "questions": ["Why is my card declined?", "My card was rejected at checkout"],
    }
    data.update(fields)
    return data


async def put(client: Any, headers: dict[str, str], data: dict[str, Any], status: int = 201) -> Any:
    resp = await client.put(f"/api/articles/{data['slug']}", json=data, headers=headers)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def get(client: Any, headers: dict[str, str], slug: str) -> Any:
    resp = await client.get(f"/api/articles/{slug}", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def error(resp: Any, status: int = 400) -> str:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert "Traceback" not in body["error"]["message"]
    return str(body["error"]["message"])


async def search(client: Any, headers: dict[str, str], q: str, **params: str) -> dict[str, Any]:
    resp = await client.get("/api/search", params={"q": q, **params}, headers=headers)
    assert resp.status == 200, await resp.text()
    result: dict[str, Any] = await resp.json()
    return result


def version(slug: str, lang: str, title: str, status: str = "published") -> dict[str, str]:
    return {"slug": slug, "lang": lang, "title": title, "status": status}


# --- API ------------------------------------------------------------------------------------------------


async def test_create_and_update_a_language_version(app_client: Any, admin_headers: dict[str, str]) -> None:
    resp = await app_client.post("/api/articles", json=card_declined(), headers=admin_headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["translation_of"] == "kort-nekas"
    assert created["translations"] == [version("kort-nekas", "sv", "Kortet nekas vid betalning")]

    root = await get(app_client, admin_headers, "kort-nekas")
    assert root["translation_of"] is None
    assert root["translations"] == [version("card-declined", "en", "Your card is declined")]

    # A version of a version belongs to the main article's group.
    german = card_declined(slug="karte-abgelehnt", lang="de", title="Karte abgelehnt", status="draft")
    german["translation_of"] = "card-declined"
    got = await put(app_client, admin_headers, german)
    assert got["translation_of"] == "kort-nekas"
    assert [t["slug"] for t in got["translations"]] == ["kort-nekas", "card-declined"]
    assert got["translations"][1:] == [version("card-declined", "en", "Your card is declined")]
    root = await get(app_client, admin_headers, "kort-nekas")
    assert {t["slug"]: t["status"] for t in root["translations"]} == {
        "card-declined": "published",
        "karte-abgelehnt": "draft",
    }

    # What GET returns can be PUT back (translations are read-only); unlinking leaves the group.
    same = await get(app_client, admin_headers, "card-declined")
    assert (await put(app_client, admin_headers, same, 200))["version"] == same["version"]
    unlinked = await put(app_client, admin_headers, {**same, "translation_of": None}, 200)
    assert unlinked["translation_of"] is None and unlinked["translations"] == []
    assert [t["slug"] for t in (await get(app_client, admin_headers, "kort-nekas"))["translations"]] == [
        "karte-abgelehnt"
    ]

    resp = await app_client.get("/api/articles/card-declined/versions", headers=admin_headers)
    snapshots = [v["article"] for v in (await resp.json())["versions"]]
    assert [s["translation_of"] for s in snapshots] == ["kort-nekas", None]

    listed = await app_client.get("/api/articles", params={"q": "karte"}, headers=admin_headers)
    (item,) = (await listed.json())["articles"]
    assert item["translation_of"] == "kort-nekas" and [t["slug"] for t in item["translations"]] == [
        "kort-nekas"
    ]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"translation_of": "card-declined"}, "names the article itself"),
        ({"translation_of": "no-such-article"}, "'no-such-article', which is no article: create"),
        ({"translation_of": "Kort Nekas"}, "translation_of must be the slug"),
        ({"translation_of": 7}, "translation_of must be the slug"),
    ],
)
async def test_translation_of_errors_say_how_to_fix(
    app_client: Any, admin_headers: dict[str, str], fields: dict[str, Any], words: str
) -> None:
    resp = await app_client.post("/api/articles", json=card_declined(**fields), headers=admin_headers)
    assert words in await error(resp)
    resp = await app_client.get("/api/articles/card-declined", headers=admin_headers)
    assert resp.status == 404  # nothing saved


async def test_a_loop_is_refused(app_client: Any, admin_headers: dict[str, str]) -> None:
    await put(app_client, admin_headers, card_declined())
    resp = await app_client.put(
        "/api/articles/kort-nekas",
        json={**(await get(app_client, admin_headers, "kort-nekas")), "translation_of": "card-declined"},
        headers=admin_headers,
    )
    message = await error(resp)
    assert "loop (kort-nekas -> card-declined -> kort-nekas)" in message and "clear translation_of" in message


async def test_groups_merge_and_survive_deleting_the_main_article(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    await put(app_client, admin_headers, card_declined(translation_of=None))
    await put(
        app_client, admin_headers, card_declined(slug="karte", lang="de", translation_of="card-declined")
    )
    # card-declined (with its German version) becomes a version of kort-nekas: the German one follows.
    await put(app_client, admin_headers, card_declined(), 200)
    german = await get(app_client, admin_headers, "karte")
    assert german["translation_of"] == "kort-nekas" and german["version"] == 2
    assert {t["slug"] for t in german["translations"]} == {"kort-nekas", "card-declined"}

    resp = await app_client.delete("/api/articles/kort-nekas", headers=admin_headers)
    assert resp.status == 200
    english = await get(app_client, admin_headers, "card-declined")  # the oldest version is now the main one
    assert english["translation_of"] is None
    assert [t["slug"] for t in english["translations"]] == ["karte"]
    assert (await get(app_client, admin_headers, "karte"))["translation_of"] == "card-declined"
    assert (await search(app_client, admin_headers, "Warum wird meine Karte abgelehnt?", lang="de"))[
        "articles"
    ]


# --- import and export ------------------------------------------------------------------------------------


def import_files() -> dict[str, bytes]:
    """An English and a German version listed before their main article, one a version of the other."""
    rows = [
        card_declined(slug="swish-de", lang="de", title="Mit Swish bezahlen", translation_of="swish-en"),
        card_declined(slug="swish-en", title="Pay with Swish", translation_of="swish-sv"),
        card_declined(slug="swish-sv", lang="sv", title="Betala med Swish", translation_of=None),
    ]
    jsonl = "".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows)
    csv = "slug,title,lang,status,body,questions,translation_of\n" + "".join(
        f"{r['slug']},{r['title']},{r['lang']},published,{r['body'].replace(',', '')},,{target or ''}\n"
        for r in rows
        for target in [r["translation_of"]]
    )
    md = io.BytesIO()
    with zipfile.ZipFile(md, "w") as archive:
        for r in rows:
            front = f"slug: {r['slug']}\ntitle: {r['title']}\nlang: {r['lang']}\n"
            if r["translation_of"]:
                front += f"translation_of: {r['translation_of']}\n"
            archive.writestr(f"kb/{r['slug']}.md", f"---\n{front}---\n\n{r['body']}")
    return {"jsonl": jsonl.encode(), "csv": csv.encode(), "zip": md.getvalue()}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "zip"])
async def test_import_export_round_trip(
    app_client: Any, admin_headers: dict[str, str], tmp_path: Path, fmt: str
) -> None:
    resp = await app_client.post(
        f"/api/articles/import?format={fmt}", data=import_files()[fmt], headers=admin_headers
    )
    assert resp.status == 200, await resp.text()
    assert sorted((await resp.json())["created"]) == ["swish-de", "swish-en", "swish-sv"]
    for slug in ("swish-de", "swish-en"):
        assert (await get(app_client, admin_headers, slug))["translation_of"] == "swish-sv"  # the root
    assert [t["slug"] for t in (await get(app_client, admin_headers, "swish-sv"))["translations"]] == [
        "swish-de",
        "swish-en",
    ]

    resp = await app_client.get("/api/articles/export", params={"format": fmt}, headers=admin_headers)
    assert resp.status == 200
    exported = tmp_path / f"export.{fmt}"
    exported.write_bytes(await resp.read())
    if fmt == "zip":
        with zipfile.ZipFile(exported) as archive:
            archive.extractall(tmp_path / "md")
        exported = tmp_path / "md" / "articles"
    articles = {a.slug: a for a in read_articles(exported)}
    assert {s: articles[s].translation_of for s in ("swish-de", "swish-en", "swish-sv", "frakt")} == {
        "swish-de": "swish-sv",
        "swish-en": "swish-sv",
        "swish-sv": None,
        "frakt": None,
    }
    again = exported_bytes(exported, fmt)
    resp = await app_client.post(f"/api/articles/import?format={fmt}", data=again, headers=admin_headers)
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    assert report["created"] == report["updated"] == []  # the export imports as it is: nothing changes


def exported_bytes(path: Path, fmt: str) -> bytes:
    if fmt != "zip":
        return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(path.glob("*.md")):
            archive.write(file, f"articles/{file.name}")
    return buffer.getvalue()


async def test_import_with_a_missing_target_imports_nothing(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    rows = [card_declined(slug="a-en"), card_declined(slug="b-en", translation_of="nowhere")]
    body = "".join(json.dumps(r) + "\n" for r in rows).encode()
    resp = await app_client.post("/api/articles/import?format=jsonl", data=body, headers=admin_headers)
    message = await error(resp)
    assert "'b-en'" in message and "'nowhere', which is no article" in message
    assert (await app_client.get("/api/articles/a-en", headers=admin_headers)).status == 404


# --- search in the customer's language ------------------------------------------------------------------


def assert_one_version_per_group(result: dict[str, Any]) -> None:
    slugs = [a["slug"] for a in result["articles"]]
    assert not {"kort-nekas", "card-declined"} <= set(slugs), slugs
    assert not {"kort-nekas", "card-declined"} <= set(result["options"]), result["options"]


async def test_search_answers_in_the_customers_language(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    await put(app_client, admin_headers, card_declined())

    english = await search(app_client, agent_headers, QUESTION_EN)
    assert english["articles"][0]["slug"] == "card-declined"
    assert english["articles"][0]["lang"] == "en"
    assert_one_version_per_group(english)

    swedish = await search(app_client, agent_headers, QUESTION_SV)
    assert swedish["articles"][0]["slug"] == "kort-nekas"
    assert_one_version_per_group(swedish)
    assert swedish["decision"] == english["decision"] != "handoff"

    # The language asked for wins over the question's.
    assert (await search(app_client, agent_headers, QUESTION_EN, lang="sv"))["articles"][0][
        "slug"
    ] == "kort-nekas"
    assert (await search(app_client, agent_headers, QUESTION_SV, lang="en"))["articles"][0]["slug"] == (
        "card-declined"
    )

    # No English version: the Swedish article answers, with or without lang=en (English articles exist).
    for params in ({}, {"lang": "en"}):
        refund = await search(app_client, agent_headers, "How long does a refund take?", **params)
        assert refund["articles"][0]["slug"] == "aterbetalning", refund

    # A draft version is never swapped in.
    await put(app_client, admin_headers, card_declined(status="draft"), 200)
    assert (await search(app_client, agent_headers, QUESTION_EN))["articles"][0]["slug"] == "kort-nekas"


async def test_web_chat_answers_in_the_widgets_language(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    await put(app_client, admin_headers, card_declined())

    async def shown(lang: str, text: str) -> set[str]:
        ws = await app_client.ws_connect(
            "/ws/chat", params={"visitor": f"v-{lang}-{len(text)}", "lang": lang}
        )
        try:
            await ws.send_json({"type": "message", "id": "m1", "text": text})
            while True:
                frame = await ws.receive_json(timeout=30)
                if frame["type"] == "answer":
                    return {frame["article"]["slug"]}
                if frame["type"] == "clarify":
                    return {o["slug"] for o in frame["options"]}
                assert frame["type"] in ("ack", "typing", "notice"), frame
        finally:
            await ws.close()

    # Two words say too little about the language: the widget's decides.
    in_english = await shown("en", "kortet nekas")
    assert "card-declined" in in_english and "kort-nekas" not in in_english
    in_swedish = await shown("sv", "kortet nekas")
    assert "kort-nekas" in in_swedish and "card-declined" not in in_swedish
    # A whole sentence speaks for itself.
    assert "card-declined" in await shown("sv", QUESTION_EN)


# --- migration --------------------------------------------------------------------------------------------


# The newest revision: later migrations must not break these tests of 0002.
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def columns(engine: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        cols = await conn.run_sync(lambda c: {col["name"]: col for col in inspect(c).get_columns("articles")})
        indexes = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("articles")})
        version_num = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    return {"columns": cols, "indexes": indexes, "version": version_num}


async def test_migration_on_a_fresh_database(make_settings: Any, tmp_path: Path) -> None:
    engine = create_engine(
        make_settings(database={"url": f"sqlite+aiosqlite:///{tmp_path}/fresh.db"}).database
    )
    try:
        await upgrade(engine)
        await upgrade(engine)  # idempotent
        got = await columns(engine)
    finally:
        await engine.dispose()
    assert got["version"] == HEAD
    assert got["columns"]["translation_of"]["nullable"] is True
    assert "ix_articles_translation_of" in got["indexes"]


async def test_migration_of_an_existing_0001_database(
    make_settings: Any, tmp_path: Path, aiohttp_client: Any
) -> None:
    db = tmp_path / "old.db"
    settings = make_settings(database={"url": f"sqlite+aiosqlite:///{db}"})
    engine = create_engine(settings.database)
    try:
        await upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO articles (slug, title, lang, tags, status, body, version, created_at, "
                    "updated_at) VALUES ('old', 'Old', 'sv', '[]', 'published', 'Body', 1, '2026-01-01', "
                    "'2026-01-01')"
                )
            )
        assert "translation_of" not in (await columns(engine))["columns"]
        await upgrade(engine)
        got = await columns(engine)
    finally:
        await engine.dispose()
    assert got["version"] == HEAD and "translation_of" in got["columns"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT slug, translation_of FROM articles").fetchall() == [("old", None)]

    client = await aiohttp_client(create_app(settings))  # the app starts on it and links a version
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    async with client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    got = await put(client, headers, card_declined(slug="old-en", translation_of="old"))
    assert got["translations"] == [version("old", "sv", "Old")]
