"""router/privacy/audit.py through the API: admin actions are logged (ids and counts only) and read back
with filters and pages."""

from __future__ import annotations

from typing import Any

from tests.privacy_helpers import ARTICLE, QUESTION, web_customer


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
