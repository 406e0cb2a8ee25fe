"""Example questions the knowledge base learned from customers (a resolved ticket, a handled gap): found by
their text, then removed or replaced by a rewritten copy, in the article and in every stored version of it.

The privacy erase (router/privacy/erase.py) uses this through `KnowledgeWrites.transaction()`, inside its
own transaction; what counts as personal in a rewrite is the router's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import Article, ArticleVersion, ExampleQuestion

LEARNED_SOURCES = ("resolved_ticket", "gap")


@dataclass(frozen=True)
class LearnedExample:
    id: int
    text: str
    slug: str
    source: str


@dataclass
class ExampleChanges:
    removed: int = 0
    kept: int = 0
    slugs: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)  # the original (learned) texts, removed or rewritten


async def find(session: AsyncSession, texts: Iterable[str]) -> list[LearnedExample]:
    """Learned example questions whose text is one of `texts`, oldest first."""
    wanted = sorted(set(texts))
    if not wanted:
        return []
    rows = await session.execute(
        select(ExampleQuestion.id, ExampleQuestion.text, Article.slug, ExampleQuestion.source)
        .join(Article, Article.id == ExampleQuestion.article_id)
        .where(ExampleQuestion.source.in_(LEARNED_SOURCES), ExampleQuestion.text.in_(wanted))
        .order_by(ExampleQuestion.id)
    )
    return [LearnedExample(*row) for row in rows]


def scrub_snapshot(snapshot: dict[str, Any], changes: Mapping[str, str | None]) -> dict[str, Any] | None:
    """The snapshot with learned texts replaced (or dropped: None); None when nothing changed."""
    questions = list(snapshot.get("questions") or [])
    if not any(q in changes for q in questions):
        return None
    sources = list(snapshot.get("question_sources") or [])
    new_q: list[str] = []
    new_s: list[Any] = []
    for i, q in enumerate(questions):
        if q in changes:
            replacement = changes[q]
            if replacement is None or replacement in new_q or replacement in questions:
                continue
            q = replacement
        new_q.append(q)
        if i < len(sources):
            new_s.append("admin" if questions[i] in changes else sources[i])
    out = {**snapshot, "questions": new_q}
    if "question_sources" in snapshot:
        out["question_sources"] = new_s
    return out


async def rewrite(
    session: AsyncSession, plan: Mapping[int, str | None], *, dry_run: bool = False
) -> ExampleChanges:
    """Apply {example question id: rewritten text, or None to remove}. A rewrite the article already has
    (or that another row of the plan already became) removes the row instead, so no article holds a
    question twice. With `dry_run`, count only."""
    out = ExampleChanges()
    if not plan:
        return out
    rows = list(await session.scalars(select(ExampleQuestion).where(ExampleQuestion.id.in_(list(plan)))))
    found = await session.execute(
        select(Article.id, Article.slug).where(Article.id.in_({q.article_id for q in rows}))
    )
    slugs: dict[int, str] = {article_id: slug for article_id, slug in found}
    changes: dict[str, str | None] = {}
    existing: dict[int, set[str]] = {}
    for q in sorted(rows, key=lambda r: r.id):
        original, replacement = q.text, plan[q.id]
        changes[original] = replacement
        out.slugs.add(slugs[q.article_id])
        have = existing.get(q.article_id)
        if have is None:
            have = existing[q.article_id] = set(
                await session.scalars(
                    select(ExampleQuestion.text).where(ExampleQuestion.article_id == q.article_id)
                )
            )
        if replacement is not None and replacement not in have:
            out.kept += 1
            if not dry_run:
                q.text, q.source = replacement, "admin"
            have.add(replacement)
        else:
            out.removed += 1
            if not dry_run:
                await session.delete(q)
    out.texts = set(changes)
    if not dry_run:
        for version in await session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id.in_(list(existing)))
        ):
            scrubbed = scrub_snapshot(dict(version.snapshot or {}), changes)
            if scrubbed is not None:
                version.snapshot = scrubbed  # a new dict: the JSON column sees the change
        await session.flush()
    return out
