"""router/history.py through the real app: a returning verified customer's earlier tickets, CSAT and last
contact beside the current ticket; display names in the console."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.channels.webchat import sign_user
from tests.router.console_helpers import SECRET, auth, handoff, ticket_row


async def test_a_returning_verified_customer_brings_their_history(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    token = await make_user("agnes", "agent")
    params = {"user": "shop-42", "sig": sign_user("shop-42", SECRET)}
    customer, first = await handoff(app_client, "hist-1", **params)
    resp = await app_client.post(f"/api/tickets/{first}/resolve", json={}, headers=auth(token))
    assert resp.status == 200
    await customer.send_json({"type": "csat", "score": 4})
    for _ in range(100):
        if (await ticket_row(app_client, first)).csat == 4:
            break
        await asyncio.sleep(0.05)
    await customer.close()
    resp = await app_client.post(f"/api/tickets/{first}/close", headers=auth(token))  # no reopening
    assert resp.status == 200
    # Later, from another browser: the same verified user.
    again, second = await handoff(app_client, "hist-2", **params)
    customer_id = (await ticket_row(app_client, second)).customer_id

    resp = await app_client.get(f"/api/customers/{customer_id}/timeline", headers=auth(token))
    data = await resp.json()
    assert data["customer"]["display_name"] == "shop-42"  # not "Customer #N": the shop's user id
    history = data["history"]
    assert history["verified"] is True
    assert [t["id"] for t in history["tickets"]][:2] == [second, first]
    assert history["tickets"][1]["csat"] == 4
    assert (history["csat_average"], history["csat_count"]) == (4, 1)
    assert history["last_contact"] is not None and history["conversations"]

    # The console's lists name them the same way; an anonymous visitor has no display name.
    anon, third = await handoff(app_client, "anon-1")
    console = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    snap = await console.receive_json(timeout=30)
    names = {t["id"]: t["customer"]["display_name"] for t in snap["queue"] + snap["mine"]}
    assert names[second] == "shop-42" and names[third] is None
    await console.close()
    await again.close()
    await anon.close()
