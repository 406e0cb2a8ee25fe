"""router/privacy/subject.py through the API: a customer merged into another is one person, exported and
erased as a whole by either id."""

from __future__ import annotations

from typing import Any

from infra.app_keys import SESSIONS
from router.models import Customer


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
