from __future__ import annotations

from typing import Any


async def test_health_and_search(app_client: Any, agent_headers: dict[str, str]) -> None:
    resp = await app_client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["articles"] >= 15
    resp = await app_client.get("/api/search", params={"q": "can I pay with swish"}, headers=agent_headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["articles"][0]["slug"] == "swish-betalning-en"  # the English version of the Swish article


async def test_search_needs_token(app_client: Any) -> None:
    resp = await app_client.get("/api/search", params={"q": "swish"})
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
