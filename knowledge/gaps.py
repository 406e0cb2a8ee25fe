"""The gap report: the unhandled questions the bot could not answer, grouped by similarity (knowledge/
gap_clustering.py), largest group first, each with the articles that come closest — what to write next."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from infra.db import iso
from knowledge import gap_store
from knowledge.gap_clustering import GapItem, group_items
from knowledge.text import passages, text_hash

if TYPE_CHECKING:
    from knowledge.service import KnowledgeBase

__all__ = ["gap_groups"]

MAX_EXAMPLES = 10
SUGGESTIONS = 3


def _background(kb: KnowledgeBase) -> list[str]:
    out: list[str] = []
    for article in kb.index.articles:
        out.append(article.title)
        out.extend(article.questions)
        out.extend(passages(article.body))
    return out


async def gap_groups(
    kb: KnowledgeBase, *, since: datetime | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Unhandled gap questions grouped by similarity, largest group first, each with suggestions."""
    async with kb.sessions() as session:
        rows = await gap_store.unhandled(session, since)
    items = [GapItem(r.id, r.text, r.reason, r.channel, r.created_at) for r in rows if r.text.strip()]
    if not items:
        return []
    by_hash = await kb.store.vectors_for([i.text for i in items])
    vectors = np.stack([by_hash[text_hash(i.text)] for i in items]).astype(np.float32)
    background = _background(kb)
    loop = asyncio.get_running_loop()
    grouped = await loop.run_in_executor(None, group_items, items, vectors, background)
    grouped = grouped[: max(0, limit)]
    representatives = [g[0].text for g in grouped]
    results = await kb.search_many(representatives) if representatives else []
    out: list[dict[str, Any]] = []
    for group, result in zip(grouped, results, strict=True):
        times = [i.created_at for i in group]
        out.append(
            {
                "size": len(group),
                "representative": group[0].text,
                "ids": [i.id for i in group],
                "reasons": dict(Counter(i.reason for i in group)),
                "first_seen": iso(min(times)),
                "last_seen": iso(max(times)),
                "examples": [
                    {
                        "id": i.id,
                        "text": i.text,
                        "reason": i.reason,
                        "channel": i.channel,
                        "created_at": iso(i.created_at),
                    }
                    for i in group[:MAX_EXAMPLES]
                ],
                "suggested_articles": [
                    {"slug": a.slug, "title": a.title, "score": round(float(a.score), 4)}
                    for a in result.articles[:SUGGESTIONS]
                ],
            }
        )
    return out
