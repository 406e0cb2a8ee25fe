"""Example questions the knowledge base learned from a customer's messages, on erasure: removed, or
replaced by a copy an admin rewrote without personal data ("keep as").

The learned text is removed from the article and from every stored version of it; a rewrite replaces it
in both places (knowledge/learned_examples.py, through `KnowledgeWrites.transaction`). A rewrite is
refused when it still looks personal: any digit, an email address, a word of the customer's name or
identities, or the customer's own wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from config import ValidationError
from knowledge.learned_examples import LearnedExample
from knowledge.text import text_hash
from knowledge.writes import KnowledgeTransaction
from router.privacy.subject import Subject

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


async def learned_rows(scope: KnowledgeTransaction, subject: Subject) -> list[LearnedExample]:
    """Example questions learned from this customer's texts."""
    return await scope.learned_examples(subject.texts) if subject.texts else []


async def erase_learned(
    scope: KnowledgeTransaction, subject: Subject, keep_as: Mapping[int, Any], *, dry_run: bool = False
) -> dict[str, Any]:
    """Remove (or rewrite, per `keep_as` {example id: new text}) what was learned from the customer,
    through the knowledge base's door (indexed once the erase commits)."""
    rows = await learned_rows(scope, subject)
    unknown = set(keep_as) - {q.id for q in rows}
    if unknown:
        raise ValidationError(
            f"example questions {sorted(unknown)} were not learned from this customer", code="unknown_example"
        )
    plan = {q.id: check_rewrite(keep_as[q.id], q.text, subject) if q.id in keep_as else None for q in rows}
    changes = await scope.rewrite_examples(plan, dry_run=dry_run)
    return {
        "removed": changes.removed,
        "kept": changes.kept,
        "articles": sorted(changes.slugs),
        "texts": changes.texts,
    }
