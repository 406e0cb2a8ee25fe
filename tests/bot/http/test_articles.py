"""The articles admin API through the real app: CRUD, versions, restore, questions, validation, roles,
and drafts kept out of search until they are published (live re-index).

Every test gets its own database, a copy of one built per module by the real app's start-up (demo
knowledge base imported, its embeddings cached), so an app starts without re-embedding the demo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from config import Settings
from infra.app_keys import SESSIONS
from knowledge.formats import read_articles
from router.auth import create_user

DEMO_KB = Path(__file__).resolve().parents[3] / "knowledge" / "demo"


def article(slug: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": slug,
        "title": f"Title of {slug}",
        "lang": "en",
        "tags": ["test"],
        "body": f"The body of {slug}.",
        "questions": [f"What is {slug}?"],
    }
    data.update(fields)
    return data


async def assert_error(resp: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert resp.status in statuses, await resp.text()
    assert resp.content_type == "application/json"
    body = await resp.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


async def search_slugs(client: Any, headers: dict[str, str], q: str, **params: str) -> list[str]:
    resp = await client.get("/api/search", params={"q": q, **params}, headers=headers)
    assert resp.status == 200, await resp.text()
    return [a["slug"] for a in (await resp.json())["articles"]]


# --- CRUD -------------------------------------------------------------------------------------------


async def test_list_and_get_demo_articles(app_client: Any, agent_headers: dict[str, str]) -> None:
    demo = read_articles(DEMO_KB)
    resp = await app_client.get("/api/articles", headers=agent_headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["count"] == len(body["articles"]) == len(demo)
    assert [a["slug"] for a in body["articles"]] == [a.slug for a in demo]

    resp = await app_client.get("/api/articles", params={"q": "swish"}, headers=agent_headers)
    found = [a["slug"] for a in (await resp.json())["articles"]]
    assert "swish-betalning" in found and "frakt" not in found
    assert set(found) >= {a.slug for a in demo if "swish" in f"{a.slug} {a.title}".lower()}
    resp = await app_client.get("/api/articles", params={"lang": "xx"}, headers=agent_headers)
    assert (await resp.json())["count"] == 0

    resp = await app_client.get("/api/articles/swish-betalning", headers=agent_headers)
    assert resp.status == 200
    got = await resp.json()
    assert got["slug"] == "swish-betalning"
    assert got["title"] == "Betala med Swish"
    assert "Can I pay with Swish?" in got["questions"]
    assert got["version"] == 1
    assert {"body", "lang", "tags", "status", "question_sources", "created_at", "updated_at"} <= set(got)


async def test_create_read_update_delete(app_client: Any, admin_headers: dict[str, str]) -> None:
    resp = await app_client.post("/api/articles", json=article("gift-wrap"), headers=admin_headers)
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["slug"] == "gift-wrap"
    assert created["version"] == 1
    assert created["status"] == "published"  # the default
    assert created["question_sources"] == [{"text": "What is gift-wrap?", "source": "admin"}]

    resp = await app_client.get("/api/articles/gift-wrap", headers=admin_headers)
    assert resp.status == 200
    assert (await resp.json())["body"] == "The body of gift-wrap."

    # POST of a slug that exists is refused and changes nothing
    resp = await app_client.post(
        "/api/articles", json=article("gift-wrap", body="other"), headers=admin_headers
    )
    await assert_error(resp, (400, 409), "conflict")
    resp = await app_client.get("/api/articles/gift-wrap", headers=admin_headers)
    assert (await resp.json())["body"] == "The body of gift-wrap."

    resp = await app_client.put(
        "/api/articles/gift-wrap", json=article("gift-wrap", body="New body."), headers=admin_headers
    )
    assert resp.status == 200, await resp.text()
    updated = await resp.json()
    assert updated["body"] == "New body."
    assert updated["version"] == 2

    # PUT without a slug in the body takes the URL's; a different slug is refused
    body = article("gift-wrap", title="Gift wrapping")
    del body["slug"]
    resp = await app_client.put("/api/articles/gift-wrap", json=body, headers=admin_headers)
    assert resp.status == 200
    assert (await resp.json())["title"] == "Gift wrapping"
    resp = await app_client.put("/api/articles/gift-wrap", json=article("other-slug"), headers=admin_headers)
    await assert_error(resp, 400)

    # PUT of an unknown slug creates it
    resp = await app_client.put(
        "/api/articles/made-by-put", json=article("made-by-put"), headers=admin_headers
    )
    assert resp.status == 201
    assert (await resp.json())["version"] == 1

    resp = await app_client.delete("/api/articles/gift-wrap", headers=admin_headers)
    assert resp.status == 200
    assert (await resp.json()) == {"deleted": "gift-wrap"}
    resp = await app_client.get("/api/articles/gift-wrap", headers=admin_headers)
    await assert_error(resp, 404, "not_found")
    resp = await app_client.delete("/api/articles/gift-wrap", headers=admin_headers)
    await assert_error(resp, 404, "not_found")
    resp = await app_client.get("/api/articles", headers=admin_headers)
    slugs = {a["slug"] for a in (await resp.json())["articles"]}
    assert "gift-wrap" not in slugs and "made-by-put" in slugs


async def test_post_existing_slug_is_409(app_client: Any, admin_headers: dict[str, str]) -> None:
    resp = await app_client.post("/api/articles", json=article("swish-betalning"), headers=admin_headers)
    await assert_error(resp, 409, "conflict")


async def test_deleted_article_leaves_search(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    question = "Kan jag betala med Swish?"
    assert (await search_slugs(app_client, agent_headers, question))[0] == "swish-betalning"
    resp = await app_client.delete("/api/articles/swish-betalning", headers=admin_headers)
    assert resp.status == 200
    assert "swish-betalning" not in await search_slugs(app_client, agent_headers, question)
    assert "swish-betalning" not in await search_slugs(app_client, agent_headers, question, drafts="1")


# --- versions and restore ---------------------------------------------------------------------------


async def test_every_put_adds_a_version_with_the_old_content(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    url = "/api/articles/versioned"
    resp = await app_client.post(
        "/api/articles", json=article("versioned", body="one"), headers=admin_headers
    )
    assert resp.status == 201
    for body in ("two", "three"):
        resp = await app_client.put(url, json=article("versioned", body=body), headers=admin_headers)
        assert resp.status == 200
    resp = await app_client.put(
        url,
        json=article("versioned", body="three", title="Renamed", questions=["New q?"]),
        headers=admin_headers,
    )
    assert resp.status == 200
    assert (await resp.json())["version"] == 4

    resp = await app_client.get(f"{url}/versions", headers=admin_headers)
    assert resp.status == 200
    versions = (await resp.json())["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert [v["article"]["body"] for v in versions] == ["one", "two", "three", "three"]
    assert versions[2]["article"]["title"] == "Title of versioned"
    assert versions[2]["article"]["questions"] == ["What is versioned?"]
    assert versions[3]["article"]["title"] == "Renamed"
    assert versions[3]["article"]["questions"] == ["New q?"]
    assert all(v["author"] == "ada" for v in versions)
    assert all(v["created_at"] for v in versions)

    # a PUT that changes nothing keeps the history as it is
    resp = await app_client.put(
        url,
        json=article("versioned", body="three", title="Renamed", questions=["New q?"]),
        headers=admin_headers,
    )
    assert resp.status == 200
    assert (await resp.json())["version"] == 4
    resp = await app_client.get(f"{url}/versions", headers=admin_headers)
    assert len((await resp.json())["versions"]) == 4


async def test_restore_makes_a_new_version(app_client: Any, admin_headers: dict[str, str]) -> None:
    url = "/api/articles/restorable"
    await app_client.post(
        "/api/articles", json=article("restorable", body="first", questions=["Old q?"]), headers=admin_headers
    )
    resp = await app_client.put(
        url, json=article("restorable", body="second", questions=["New q?"]), headers=admin_headers
    )
    assert resp.status == 200

    resp = await app_client.post(f"{url}/versions/1/restore", headers=admin_headers)
    assert resp.status == 200, await resp.text()
    restored = await resp.json()
    assert restored["version"] == 3
    assert restored["body"] == "first"
    assert restored["questions"] == ["Old q?"]

    resp = await app_client.get(url, headers=admin_headers)
    current = await resp.json()
    assert (current["version"], current["body"]) == (3, "first")
    resp = await app_client.get(f"{url}/versions", headers=admin_headers)
    versions = (await resp.json())["versions"]
    assert [(v["version"], v["article"]["body"]) for v in versions] == [
        (1, "first"),
        (2, "second"),
        (3, "first"),
    ]

    resp = await app_client.post(f"{url}/versions/9/restore", headers=admin_headers)
    await assert_error(resp, 404, "not_found")
    resp = await app_client.post(f"{url}/versions/abc/restore", headers=admin_headers)
    await assert_error(resp, 400)
    resp = await app_client.post("/api/articles/no-such/versions/1/restore", headers=admin_headers)
    await assert_error(resp, 404, "not_found")


async def test_add_question(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    url = "/api/articles/swish-betalning/questions"
    text = "Does the Swish option show up when I buy a gift card?"
    resp = await app_client.post(url, json={"text": text}, headers=admin_headers)
    assert resp.status == 201, await resp.text()
    assert await resp.json() == {"added": True}
    resp = await app_client.post(url, json={"text": text}, headers=admin_headers)
    assert resp.status == 200
    assert await resp.json() == {"added": False}

    got = await (await app_client.get("/api/articles/swish-betalning", headers=admin_headers)).json()
    assert got["questions"][-1] == text
    assert {"text": text, "source": "admin"} in got["question_sources"]
    assert got["version"] == 2

    # the new example question is searchable at once
    resp = await app_client.get("/api/search", params={"q": text}, headers=agent_headers)
    best = (await resp.json())["articles"][0]
    # found through the Swedish article's new question, shown as its English version (an English question)
    assert (best["slug"], best["matched"], best["matched_kind"]) == ("swish-betalning-en", text, "question")

    for bad in ({}, {"text": ""}, {"text": "   "}, {"text": 5}):
        await assert_error(await app_client.post(url, json=bad, headers=admin_headers), 400)
    resp = await app_client.post(
        "/api/articles/no-such/questions", json={"text": "hi?"}, headers=admin_headers
    )
    await assert_error(resp, 404, "not_found")


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"slug": "no-title", "body": "x"}, "title"),
        ({"slug": "blank-title", "title": "   "}, "title"),
        ({"slug": "Bad Slug!", "title": "x"}, "slug"),
        ({"slug": "-starts-with-dash", "title": "x"}, "slug"),
        ({"title": "no slug"}, "slug"),
        ({"slug": "unknown", "title": "x", "colour": "red"}, "colour"),
        ({"slug": "bad-status", "title": "x", "status": "archived"}, "status"),
        ({"slug": "bad-questions", "title": "x", "questions": "not a list"}, "questions"),
        ({"slug": "bad-lang", "title": "x", "lang": "Swedish"}, "lang"),
    ],
)
async def test_invalid_article_is_400(
    app_client: Any, admin_headers: dict[str, str], body: dict[str, Any], word: str
) -> None:
    resp = await app_client.post("/api/articles", json=body, headers=admin_headers)
    error = await assert_error(resp, 400)
    assert word in error["message"]
    if "slug" in body and isinstance(body["slug"], str):
        resp = await app_client.get(f"/api/articles/{body['slug']}", headers=admin_headers)
        assert resp.status in (404, 400)


async def test_bad_bodies_are_400(app_client: Any, admin_headers: dict[str, str]) -> None:
    json_headers = {**admin_headers, "Content-Type": "application/json"}
    for method, url in (("POST", "/api/articles"), ("PUT", "/api/articles/x")):
        resp = await app_client.request(method, url, data=b'{"slug": "x", "title": ', headers=json_headers)
        await assert_error(resp, 400, "invalid_json")
        resp = await app_client.request(method, url, data=b"", headers=json_headers)
        await assert_error(resp, 400, "invalid_json")
        resp = await app_client.request(
            method, url, data=b'{"slug": "x", "title": "caf\xe9"}', headers=json_headers
        )
        await assert_error(resp, 400, "invalid_text")
        for not_object in (b"[]", b'"x"', b"null", b"42"):
            resp = await app_client.request(method, url, data=not_object, headers=json_headers)
            error = await assert_error(resp, 400)
            assert "object" in error["message"]
    resp = await app_client.get("/api/articles/x", headers=admin_headers)
    await assert_error(resp, 404, "not_found")


async def test_body_over_max_body_bytes_is_too_large(
    aiohttp_client: Any, make_settings: Callable[..., Settings], settings: Settings
) -> None:
    # `settings` put the demo database in tmp_path; this second app uses it with a small body limit
    app = create_app(make_settings(server={"max_body_bytes": 2048}))
    client = await aiohttp_client(app)
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def encoded(slug: str, size: int) -> bytes:
        raw = article(slug, body="")
        base = len(json.dumps(raw).encode())
        raw["body"] = "x" * (size - base)
        data = json.dumps(raw).encode()
        assert len(data) == size
        return data

    resp = await client.post("/api/articles", data=encoded("at-limit", 2048), headers=headers)
    assert resp.status == 201, await resp.text()

    resp = await client.post("/api/articles", data=encoded("over-limit", 2049), headers=headers)
    await assert_error(resp, (400, 413), "too_large")
    resp = await client.put("/api/articles/big", data=encoded("big", 100_000), headers=headers)
    await assert_error(resp, (400, 413), "too_large")

    async def chunks() -> Any:  # no Content-Length: the limit holds for a streamed body too
        data = encoded("streamed", 10_000)
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    resp = await client.post("/api/articles", data=chunks(), headers=headers)
    await assert_error(resp, (400, 413), "too_large")

    for slug in ("over-limit", "big", "streamed"):
        resp = await client.get(f"/api/articles/{slug}", headers=headers)
        await assert_error(resp, 404, "not_found")


# --- roles ---------------------------------------------------------------------------------------------

ADMIN_ONLY = [
    ("POST", "/api/articles", article("by-agent")),
    ("PUT", "/api/articles/swish-betalning", article("swish-betalning", body="hijacked")),
    ("DELETE", "/api/articles/swish-betalning", None),
    ("GET", "/api/articles/swish-betalning/versions", None),
    ("POST", "/api/articles/swish-betalning/versions/1/restore", None),
    ("POST", "/api/articles/swish-betalning/questions", {"text": "agent question?"}),
]
AGENT_OK = [
    ("GET", "/api/articles", None),
    ("GET", "/api/articles/swish-betalning", None),
    ("GET", "/api/search?q=swish", None),
]


async def test_roles(app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]) -> None:
    for method, url, body in ADMIN_ONLY + AGENT_OK:
        resp = await app_client.request(method, url, json=body)
        await assert_error(resp, 401, "unauthorized")
        for bad in ("Bearer nope", "Bearer ", "Basic YWRhOmFkYQ==", "kr_not-even-bearer"):
            resp = await app_client.request(method, url, json=body, headers={"Authorization": bad})
            await assert_error(resp, 401, "unauthorized")

    for method, url, _ in AGENT_OK:
        resp = await app_client.request(method, url, headers=agent_headers)
        assert resp.status == 200, (method, url, await resp.text())
    for method, url, body in ADMIN_ONLY:
        resp = await app_client.request(method, url, json=body, headers=agent_headers)
        await assert_error(resp, 403, "forbidden")

    # nothing the agent tried happened
    got = await (await app_client.get("/api/articles/swish-betalning", headers=agent_headers)).json()
    assert got["version"] == 1
    assert got["body"] != "hijacked"
    assert "agent question?" not in got["questions"]
    resp = await app_client.get("/api/articles/by-agent", headers=agent_headers)
    await assert_error(resp, 404, "not_found")

    # the admin may do all of it (in an order where each step has something to act on)
    for method, url, body in AGENT_OK + ADMIN_ONLY[:2] + ADMIN_ONLY[3:] + ADMIN_ONLY[2:3]:
        resp = await app_client.request(method, url, json=body, headers=admin_headers)
        assert resp.status in (200, 201), (method, url, await resp.text())


async def test_unknown_things_are_json_404(app_client: Any, agent_headers: dict[str, str]) -> None:
    resp = await app_client.get("/api/articles/does-not-exist", headers=agent_headers)
    error = await assert_error(resp, 404, "not_found")
    assert "does-not-exist" in error["message"]
    resp = await app_client.get("/api/no-such-route", headers=agent_headers)
    await assert_error(resp, 404, "not_found")
    resp = await app_client.patch("/api/articles/swish-betalning", json={}, headers=agent_headers)
    await assert_error(resp, 405)


async def test_search_validation(app_client: Any, agent_headers: dict[str, str]) -> None:
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "x" * 2001}):
        resp = await app_client.get("/api/search", params=params, headers=agent_headers)
        await assert_error(resp, 400)


# --- drafts and the live index ----------------------------------------------------------------------


async def test_draft_is_searchable_only_with_drafts_until_published(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    question = "Can I have my sofa delivered by drone to the archipelago?"
    draft = article(
        "drone-delivery",
        title="Drone delivery to the archipelago",
        status="draft",
        body="We deliver sofas by drone to islands in the Stockholm archipelago.",
        questions=[question, "Do you deliver by drone?"],
    )
    resp = await app_client.put("/api/articles/drone-delivery", json=draft, headers=admin_headers)
    assert resp.status == 201, await resp.text()
    assert (await resp.json())["status"] == "draft"

    for q in (question, "drone delivery", draft["title"]):
        assert "drone-delivery" not in await search_slugs(app_client, agent_headers, q)
        assert "drone-delivery" not in await search_slugs(app_client, agent_headers, q, drafts="0")
        assert "drone-delivery" not in await search_slugs(app_client, agent_headers, q, lang="en")
    resp = await app_client.get("/api/search", params={"q": question, "drafts": "1"}, headers=agent_headers)
    body = await resp.json()
    assert body["articles"][0]["slug"] == "drone-delivery"
    assert body["articles"][0]["status"] == "draft"
    assert body["articles"][0]["matched"] == question

    resp = await app_client.put(
        "/api/articles/drone-delivery", json={**draft, "status": "published"}, headers=admin_headers
    )
    assert resp.status == 200
    resp = await app_client.get("/api/search", params={"q": question}, headers=agent_headers)
    body = await resp.json()
    assert body["decision"] == "answer"
    assert body["articles"][0]["slug"] == "drone-delivery"
    assert body["options"] == ["drone-delivery"]

    # and back to draft: gone from search again at once
    resp = await app_client.put("/api/articles/drone-delivery", json=draft, headers=admin_headers)
    assert resp.status == 200
    assert "drone-delivery" not in await search_slugs(app_client, agent_headers, question)


async def test_edit_is_searchable_immediately(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    question = "Can I pay with Klarna inside the Swish app?"
    before = await search_slugs(app_client, agent_headers, question)
    got = await (await app_client.get("/api/articles/delbetalning", headers=admin_headers)).json()
    edited = {k: got[k] for k in ("slug", "title", "lang", "tags", "status", "body", "questions")}
    edited["questions"] = [*edited["questions"], question]
    resp = await app_client.put("/api/articles/delbetalning", json=edited, headers=admin_headers)
    assert resp.status == 200
    resp = await app_client.get("/api/search", params={"q": question}, headers=agent_headers)
    body = await resp.json()
    assert body["articles"][0]["slug"] == "delbetalning-en", before  # the English version of it
    assert body["articles"][0]["matched"] == question
    assert body["decision"] in ("answer", "clarify")  # Klarna and Swish: the Swish article is close too


# -- example questions ----------------------------------------------------------------------------------
async def test_delete_an_example_question(app_client: Any, admin_headers: dict[str, str]) -> None:
    from router.web import KB

    slug = "swish-betalning"
    kb = app_client.app[KB]
    await kb.add_question(slug, "Swish från ett löst ärende?", source="resolved_ticket")
    await kb.add_question(slug, "Ta bort mig?")
    article = await (await app_client.get(f"/api/articles/{slug}", headers=admin_headers)).json()
    version = article["version"]

    resp = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": "  Ta bort mig?  "}, headers=admin_headers
    )
    assert resp.status == 200
    data = await resp.json()
    assert data["removed"] == "Ta bort mig?"
    after = data["article"]
    assert "Ta bort mig?" not in after["questions"]
    assert after["version"] == version + 1
    assert after["questions"] == [q for q in article["questions"] if q != "Ta bort mig?"]
    sources = {q["text"]: q["source"] for q in after["question_sources"]}
    assert sources["Swish från ett löst ärende?"] == "resolved_ticket"  # the others keep their source

    versions = await (await app_client.get(f"/api/articles/{slug}/versions", headers=admin_headers)).json()
    assert versions["versions"][-1]["version"] == version + 1

    resp = await app_client.delete(
        f"/api/articles/{slug}/questions",
        params={"text": "Swish från ett löst ärende?"},
        headers=admin_headers,
    )
    assert resp.status == 200
    assert (await resp.json())["article"]["version"] == version + 2

    missing = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": "Finns inte"}, headers=admin_headers
    )
    assert missing.status == 404
    empty = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": " "}, headers=admin_headers
    )
    assert empty.status == 400
    nope = await app_client.delete("/api/articles/nope/questions", json={"text": "x"}, headers=admin_headers)
    assert nope.status == 404
