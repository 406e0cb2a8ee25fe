"""router/canned.py through the real app: agents' canned replies, searched, changed by their author or an
admin only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.router.console_helpers import auth


async def test_canned_replies_crud(app_client: Any, make_user: Callable[..., Any]) -> None:
    agnes = auth(await make_user("agnes", "agent"))
    bo = auth(await make_user("bo", "agent"))
    ada = auth(await make_user("ada", "admin"))
    resp = await app_client.post(
        "/api/canned", json={"title": "Retur", "body": "Du har 30 dagars öppet köp."}, headers=agnes
    )
    assert resp.status == 201
    retur = await resp.json()
    assert retur["created_by"] == "agnes"
    await app_client.post(
        "/api/canned", json={"title": "Hälsning", "body": "Hej! Om retur: se ovan."}, headers=bo
    )
    for bad in (
        {"title": "", "body": "x"},
        {"title": "x"},
        {"title": "x" * 201, "body": "x"},
        {"title": 1, "body": "x"},
    ):
        resp = await app_client.post("/api/canned", json=bad, headers=agnes)
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["code"] == "invalid_canned"

    resp = await app_client.get("/api/canned", params={"q": "retur"}, headers=bo)
    titles = [c["title"] for c in (await resp.json())["canned"]]
    assert titles == ["Retur", "Hälsning"]  # a title match first, then a body match
    resp = await app_client.get("/api/canned", params={"q": "öppet köp"}, headers=bo)
    assert [c["title"] for c in (await resp.json())["canned"]] == ["Retur"]

    # Only its author or an admin changes it.
    change = {"title": "Retur", "body": "Du har 60 dagars öppet köp."}
    resp = await app_client.put(f"/api/canned/{retur['id']}", json=change, headers=bo)
    assert resp.status == 403
    resp = await app_client.put(f"/api/canned/{retur['id']}", json=change, headers=agnes)
    assert resp.status == 200 and (await resp.json())["body"] == change["body"]
    resp = await app_client.delete(f"/api/canned/{retur['id']}", headers=ada)
    assert resp.status == 200
    resp = await app_client.delete(f"/api/canned/{retur['id']}", headers=ada)
    assert resp.status == 404
    resp = await app_client.put("/api/canned/nope", json=change, headers=ada)
    assert resp.status == 400
    assert (await app_client.get("/api/canned")).status == 401
