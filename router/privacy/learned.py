"""Example questions the knowledge base learned from a customer's messages, on erasure: removed, or
replaced by a copy an admin rewrote without personal data ("keep as").

The learned text is removed from the article and from every stored version of it; a rewrite replaces it
in both places. A rewrite is refused when it still looks personal: any digit, an email address, a word of
the customer's name or identities, or the customer's own wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config import ValidationError
from knowledge.models import Article, ArticleVersion, ExampleQuestion
from knowledge.text import text_hash
from router.privacy.subject import Subject

LEARNED_SOURCES = ("resolved_ticket", "gap")
MAX_REWRITE = 2000
KNOWN_PREFIXES = ("", "query: ", "passage: ")  # what embedding models put before a text (e5's)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_WORD = re.compile(r"\w+", re.UNICODE)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def check_rewrite(text: Any, original: str, subject: Subject) -> str:
    """A rewritten example question, or a 400 saying why it may still identify the customer."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("a kept example question needs its rewritten text")
    text = " ".join(text.split())
    if len(text) > MAX_REWRITE:
        raise ValidationError(f"a rewritten example question has at most {MAX_REWRITE} characters")
    if _norm(text) == _norm(original) or _norm(text) in {_norm(t) for t in subject.texts}:
        raise ValidationError(
            "a kept example question must be rewritten, not the customer's own words", code="not_rewritten"
        )
    if any(ch.isdigit() for ch in text) or _EMAIL.search(text):
        raise ValidationError(
            "a rewritten example question may hold no numbers and no email address", code="personal_data"
        )
    personal = set()
    for value in [*(c.name for c in subject.customers), *(i.external_id for i in subject.identities)]:
        value = (value or "").split("@", 1)[0]  # an email's mailbox names the person, its domain does not
        personal |= {w.casefold() for w in _WORD.findall(value) if len(w) >= 3 and not w.isdigit()}
    folded = text.casefold()
    # Inside words too ("Bergqvists"): better a rewrite refused than a name kept.
    if any(w in folded for w in personal):
        raise ValidationError("a rewritten example question may not name the customer", code="personal_data")
    return text


def embedding_hashes(texts: Iterable[str], prefixes: Iterable[str] = KNOWN_PREFIXES) -> set[str]:
    """Keys of the embedding cache a text can have been stored under (with each model prefix)."""
    pre = set(prefixes) | set(KNOWN_PREFIXES)
    return {text_hash(p + t) for t in texts for p in pre}


async def learned_rows(session: AsyncSession, subject: Subject) -> list[tuple[ExampleQuestion, str]]:
    """(example question, its article's slug) learned from this customer's texts."""
    if not subject.texts:
        return []
    rows = await session.execute(
        select(ExampleQuestion, Article.slug)
        .join(Article, Article.id == ExampleQuestion.article_id)
        .where(ExampleQuestion.source.in_(LEARNED_SOURCES), ExampleQuestion.text.in_(sorted(subject.texts)))
        .order_by(ExampleQuestion.id)
    )
    return [(q, slug) for q, slug in rows]


def _scrub_snapshot(snapshot: dict[str, Any], changes: Mapping[str, str | None]) -> dict[str, Any] | None:
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


async def erase_learned(
    session: AsyncSession, subject: Subject, keep_as: Mapping[int, Any], *, dry_run: bool = False
) -> dict[str, Any]:
    """Remove (or rewrite, per `keep_as` {example id: new text}) what was learned from the customer."""
    rows = await learned_rows(session, subject)
    unknown = set(keep_as) - {q.id for q, _ in rows}
    if unknown:
        raise ValidationError(
            f"example questions {sorted(unknown)} were not learned from this customer", code="unknown_example"
        )
    changes: dict[str, str | None] = {}
    by_article: dict[int, set[str]] = {}
    slugs: set[str] = set()
    kept = removed = 0
    for q, slug in rows:
        original = q.text
        rewrite = check_rewrite(keep_as[q.id], original, subject) if q.id in keep_as else None
        changes[original] = rewrite
        slugs.add(slug)
        existing = by_article.setdefault(q.article_id, set())
        if not existing:
            existing |= set(
                await session.scalars(
                    select(ExampleQuestion.text).where(ExampleQuestion.article_id == q.article_id)
                )
            )
        if rewrite is not None and rewrite not in existing:
            kept += 1
            if not dry_run:
                q.text, q.source = rewrite, "admin"
            existing.add(rewrite)
        else:
            removed += 1
            if not dry_run:
                await session.delete(q)
    if changes and not dry_run:
        article_ids = list(by_article)
        for version in await session.scalars(
            select(ArticleVersion).where(ArticleVersion.article_id.in_(article_ids))
        ):
            scrubbed = _scrub_snapshot(dict(version.snapshot or {}), changes)
            if scrubbed is not None:
                version.snapshot = scrubbed  # a new dict: the JSON column sees the change
        await session.flush()
    return {"removed": removed, "kept": kept, "articles": sorted(slugs), "texts": set(changes)}
