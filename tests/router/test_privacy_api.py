"""The personal-data API on the real app: who may use it, its errors, "keep as" rewrites of learned
example questions, and the audit log of admin actions."""

from __future__ import annotations

import json
from typing import Any

from privacy_helpers import web_customer
from sqlalchemy import select

from infra.app_keys import SESSIONS
from knowledge.models import Article, ArticleVersion, ExampleQuestion
from router.models import Customer
from router.web import KB

QUESTION = "Varför blinkar Quuxomaten rött när jag betalar?"  # the demo KB cannot answer it
ARTICLE = "saker-betalning"


async def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return dict(body["error"])


async def test_admin_only_and_clear_errors(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    cid, _ = await web_customer(app_client, admin_headers, QUESTION)
    for method, path in (
        ("GET", f"/api/customers/{cid}/export"),
        ("DELETE", f"/api/customers/{cid}"),
        ("GET", "/api/audit"),
        ("GET", "/api/customers/lookup?email=a@b.se"),
    ):
        await _error(await app_client.request(method, path), 401)
        await _error(await app_client.request(method, path, headers=agent_headers), 403)
    h = admin_headers
    await _error(await app_client.get("/api/customers/abc/export", headers=h), 400)
    await _error(await app_client.get("/api/customers/999999/export", headers=h), 404)
    await _error(await app_client.delete("/api/customers/999999", headers=h), 404)
    await _error(await app_client.get("/api/customers/lookup", headers=h), 400)
    await _error(await app_client.get("/api/customers/lookup?email=nobody@example.com", headers=h), 404)
    await _error(await app_client.get("/api/customers/lookup?user_id=nobody", headers=h), 404)
    await _error(await app_client.delete(f"/api/customers/{cid}", data=b"{", headers=h), 400)
    await _error(await app_client.delete(f"/api/customers/{cid}", json=[1], headers=h), 400)
    await _error(await app_client.delete(f"/api/customers/{cid}", json={"keep_as": [1]}, headers=h), 400)
    await _error(await app_client.delete(f"/api/customers/{cid}", json={"dry_run": "yes"}, headers=h), 400)
    await _error(await app_client.get("/api/audit?limit=0", headers=h), 400)
    await _error(await app_client.get("/api/audit?limit=x", headers=h), 400)
    await _error(await app_client.get("/api/audit?since=yesterday", headers=h), 400)
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, cid) is not None  # nothing above changed anything


async def test_keep_as_keeps_a_rewritten_example_and_no_personal_data(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    cid, _ = await web_customer(
        app_client, admin_headers, QUESTION, user="anna-bergqvist", email="anna@example.com", learn=ARTICLE
    )
    resp = await app_client.get(f"/api/customers/{cid}/export", headers=admin_headers)
    [learned] = (await resp.json())["learned_examples"]
    assert learned["text"] == QUESTION
    url, eid = f"/api/customers/{cid}", str(learned["id"])
    refused = {
        "Varför blinkar automaten rött vid köp 2024?": "personal_data",  # a number
        "Skriv till anna@example.com om automaten": "personal_data",  # an email
        "Varför blinkar Bergqvists automat rött?": "personal_data",  # a word of the customer's identity
        "  varför blinkar QUUXOMATEN rött när jag betalar? ": "not_rewritten",  # their own words
        "": "invalid_request",
    }
    for text, code in refused.items():
        error = await _error(
            await app_client.delete(url, json={"keep_as": {eid: text}}, headers=admin_headers), 400
        )
        assert error["code"] == code, (text, error)
    error = await _error(
        await app_client.delete(url, json={"keep_as": {"123456": "Hur?"}}, headers=admin_headers), 400
    )
    assert error["code"] == "unknown_example"
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, cid) is not None  # a refused erasure erases nothing

    rewrite = "Varför blinkar betalautomaten rött?"
    resp = await app_client.delete(url, json={"keep_as": {eid: rewrite}}, headers=admin_headers)
    report = await resp.json()
    assert resp.status == 200, report
    assert (report["learned_examples_kept"], report["learned_examples_removed"]) == (1, 0)
    async with app_client.app[SESSIONS]() as session:
        article = await session.scalar(select(Article).where(Article.slug == ARTICLE))
        assert article is not None
        rows = list(
            await session.scalars(select(ExampleQuestion).where(ExampleQuestion.article_id == article.id))
        )
        assert [(q.text, q.source) for q in rows if q.text == rewrite] == [(rewrite, "admin")]
        assert QUESTION not in [q.text for q in rows]
        versions = list(
            await session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article.id))
        )
        assert any(rewrite in v.snapshot["questions"] for v in versions)
        assert not any(QUESTION in json.dumps(v.snapshot, ensure_ascii=False) for v in versions)
    indexed = app_client.app[KB].index.by_slug[ARTICLE].questions
    assert rewrite in indexed and QUESTION not in indexed


async def test_audit_log_records_admin_actions_with_filters_and_pages(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    h = admin_headers
    cid, _ = await web_customer(app_client, h, QUESTION)
    assert (await app_client.post(f"/api/customers/{cid}/vip", json={"vip": True}, headers=h)).status == 200
    resp = await app_client.post("/api/users", json={"name": "bo", "role": "agent"}, headers=h)
    user_id = (await resp.json())["id"]
    assert (await app_client.patch(f"/api/users/{user_id}", json={"capacity": 2}, headers=h)).status == 200
    article = await (await app_client.get(f"/api/articles/{ARTICLE}", headers=h)).json()
    article["title"] += " (ändrad)"
    assert (await app_client.put(f"/api/articles/{ARTICLE}", json=article, headers=h)).status == 200
    assert (await app_client.get(f"/api/customers/{cid}/export", headers=h)).status == 200
    assert (await app_client.get("/api/articles", headers=h)).status == 200  # reading articles: no entry

    body = await (await app_client.get("/api/audit", headers=h)).json()
    got = [(e["action"], e["target_kind"], e["target_id"], e["actor"]) for e in body["entries"]]
    assert got == [
        ("customer.export", "customer", str(cid), "ada"),
        ("article.update", "article", ARTICLE, "ada"),
        ("user.update", "user", str(user_id), "ada"),
        ("user.create", "user", str(user_id), "ada"),
        ("customer.vip", "customer", str(cid), "ada"),
    ]
    assert body["next_before"] is None and body["entries"][0]["at"]
    assert body["entries"][2]["details"] == {"changed": ["capacity"]}

    family = await (await app_client.get("/api/audit?action=customer.", headers=h)).json()
    assert [e["action"] for e in family["entries"]] == ["customer.export", "customer.vip"]
    users = await (
        await app_client.get("/api/audit?target_kind=user&target_id=" + str(user_id), headers=h)
    ).json()
    assert [e["action"] for e in users["entries"]] == ["user.update", "user.create"]
    assert (await (await app_client.get("/api/audit?actor=nobody", headers=h)).json())["entries"] == []
    assert (await (await app_client.get("/api/audit?since=2999-01-01", headers=h)).json())["entries"] == []

    pages, before = [], None
    while True:
        query = "limit=2" + (f"&before={before}" if before else "")
        page = await (await app_client.get(f"/api/audit?{query}", headers=h)).json()
        pages.append([e["action"] for e in page["entries"]])
        before = page["next_before"]
        if before is None:
            break
    assert [a for p in pages for a in p] == [g[0] for g in got] and [len(p) for p in pages] == [2, 2, 1]


async def test_erasing_a_merged_customer_erases_the_whole_person(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    from router.identity import Evidence
    from router.web import ROUTER

    router = app_client.app[ROUTER]
    phone, phone_conv = await router.identify([Evidence("web_visitor", "phone-1", False)])
    await router.receive(phone_conv, channel="web", address={}, text="skrivet på telefonen, Plupp-order")
    person, _ = await router.identify(
        [Evidence("web_user", "u-merge", True), Evidence("web_visitor", "laptop-1", False)]
    )
    joined, _ = await router.identify(
        [Evidence("web_user", "u-merge", True), Evidence("web_visitor", "phone-1", False)]
    )
    assert joined == person != phone
    async with app_client.app[SESSIONS]() as session:
        assert (await session.get(Customer, phone)).merged_into_id == person  # type: ignore[union-attr]

    resp = await app_client.get(f"/api/customers/{phone}/export", headers=admin_headers)
    data = await resp.json()
    assert data["customer"]["id"] == person and [c["id"] for c in data["customer"]["merged_customers"]] == [
        phone
    ]
    assert "skrivet på telefonen, Plupp-order" in [
        m["text"] for c in data["conversations"] for m in c["messages"]
    ]

    resp = await app_client.delete(f"/api/customers/{phone}", headers=admin_headers)  # the merged-away id
    report = await resp.json()
    assert resp.status == 200 and sorted(report["customers"]) == sorted([person, phone])
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, person) is None and await session.get(Customer, phone) is None
