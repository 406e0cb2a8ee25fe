"""router/privacy/export.py on a migrated SQLite database: one customer's data, and nobody else's."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.privacy.export import export_customer
from tests.router.privacy.privacy_rows import customer_with_messages


async def test_export_holds_the_customers_conversations_and_contexts_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        kim, conv = await customer_with_messages(
            session, "Kim Kund", "kim@example.com", ["Hej", "Var är paketet?"], page="/order/7"
        )
        await customer_with_messages(session, "Bo Annan", "bo@example.com", ["Bos hemlighet"])
        data = await export_customer(session, kim.id)
    assert data["counts"] == {"conversations": 1, "messages": 2, "tickets": 0}
    [exported] = data["conversations"]
    assert exported["id"] == conv.id and [m["text"] for m in exported["messages"]] == [
        "Hej",
        "Var är paketet?",
    ]
    assert [(c["seq"], c["page"]) for c in data["page_contexts"]] == [(1, "/order/7")]
    dumped = json.dumps(data, ensure_ascii=False)
    assert "kim@example.com" in dumped
    assert "Bo Annan" not in dumped and "Bos hemlighet" not in dumped and "bo@example.com" not in dumped
