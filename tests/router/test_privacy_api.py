"""router/privacy_api.py on the real app: who may use the personal-data API, and its errors (what the
erasure does: tests/router/privacy/)."""

from __future__ import annotations

from typing import Any

from infra.app_keys import SESSIONS
from router.models import Customer
from tests.privacy_helpers import QUESTION, error_of, web_customer


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
        await error_of(await app_client.request(method, path), 401)
        await error_of(await app_client.request(method, path, headers=agent_headers), 403)
    h = admin_headers
    await error_of(await app_client.get("/api/customers/abc/export", headers=h), 400)
    await error_of(await app_client.get("/api/customers/999999/export", headers=h), 404)
    await error_of(await app_client.delete("/api/customers/999999", headers=h), 404)
    await error_of(await app_client.get("/api/customers/lookup", headers=h), 400)
    await error_of(await app_client.get("/api/customers/lookup?email=nobody@example.com", headers=h), 404)
    await error_of(await app_client.get("/api/customers/lookup?user_id=nobody", headers=h), 404)
    await error_of(await app_client.delete(f"/api/customers/{cid}", data=b"{", headers=h), 400)
    await error_of(await app_client.delete(f"/api/customers/{cid}", json=[1], headers=h), 400)
    await error_of(await app_client.delete(f"/api/customers/{cid}", json={"keep_as": [1]}, headers=h), 400)
    await error_of(await app_client.delete(f"/api/customers/{cid}", json={"dry_run": "yes"}, headers=h), 400)
    await error_of(await app_client.get("/api/audit?limit=0", headers=h), 400)
    await error_of(await app_client.get("/api/audit?limit=x", headers=h), 400)
    await error_of(await app_client.get("/api/audit?since=yesterday", headers=h), 400)
    async with app_client.app[SESSIONS]() as session:
        assert await session.get(Customer, cid) is not None  # nothing above changed anything
