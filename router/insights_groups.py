"""Unanswered questions grouped by need, across languages: "Har ni en fysisk butik?" and "Do you have a
physical store?" are one group, one draft article away from being answered.

The knowledge gap report (`knowledge.gaps`) leans on shared words, which a Swedish and an English phrasing
of one need rarely have. Here the sentence vectors (`KnowledgeBase.store.vectors_for`, cached) are
*centred* first: the multilingual e5 model puts any two shop questions at cosine 0.77-0.95, which says
little; minus the mean vector of the knowledge base's own example questions, translations of one question
measured 0.43-0.71 and unrelated questions at most ~0.47 (the demo KB; 14 hand-written questions in 7
needs). Two questions are linked when

- their centred cosine is at least `LINK` (0.5), or
- they are in different languages, each is the other's nearest question in that language, and their
  centred cosine is at least `MUTUAL` (0.4) — a translation is the closest thing in the other language
  even when the model places it less close; or
- their shared content words say so (`knowledge.gap_clustering.lexical_matrix` >=
  `knowledge.gap_clustering.LINK_THRESHOLD`).

Groups then form around leaders as in the gap report (`knowledge.gap_clustering.leader_groups`): no chaining.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from knowledge import KnowledgeBase
from knowledge.gap_clustering import LINK_THRESHOLD, leader_groups, lexical_matrix
from knowledge.text import detect_lang, text_hash

__all__ = ["Question", "group_json", "group_questions", "link_matrix"]

LINK = 0.5
MUTUAL = 0.4
MAX_QUESTIONS = 1000
MAX_BACKGROUND = 2000


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    reason: str
    created_at: datetime
    conversation_id: int | None = None


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.where(norms > 0, norms, 1.0))


def link_matrix(
    texts: Sequence[str], vectors: np.ndarray, mean: np.ndarray | None, langs: Sequence[str]
) -> np.ndarray:
    """1.0 where two questions are linked (see the module docstring), else their lexical score."""
    n = len(texts)
    unit = _unit(vectors.astype(np.float64))
    if mean is not None:
        unit = _unit(unit - mean)
    dense = unit @ unit.T
    lexical = lexical_matrix(texts).astype(np.float64)
    linked = (dense >= LINK) | (lexical >= LINK_THRESHOLD)
    lang = np.array(langs)
    members = {code: np.flatnonzero(lang == code) for code in set(langs)}
    for i in range(n):
        own = members[lang[i]]
        for code, cols in members.items():
            if code == lang[i]:
                continue
            j = int(cols[np.argmax(dense[i, cols])])  # i's nearest question in that language
            if dense[i, j] >= MUTUAL and int(own[np.argmax(dense[j, own])]) == i:  # and the other way
                linked[i, j] = linked[j, i] = True
    out = np.where(linked, 1.0, np.minimum(lexical, LINK_THRESHOLD - 1e-3))
    np.fill_diagonal(out, 1.0)
    return out.astype(np.float32)


def _background(kb: KnowledgeBase) -> list[str]:
    texts: list[str] = []
    for article in kb.index.articles:
        texts.extend(article.questions)
        if len(texts) >= MAX_BACKGROUND:
            break
    return texts[:MAX_BACKGROUND]


async def group_questions(kb: KnowledgeBase, questions: Sequence[Question]) -> list[list[Question]]:
    """`questions` grouped by need (largest group first), through the knowledge base's cached vectors."""
    items = [q for q in questions if q.text.strip()][-MAX_QUESTIONS:]
    if not items:
        return []
    background = _background(kb)
    by_hash = await kb.store.vectors_for([q.text for q in items] + background, counted=False)
    vectors = np.stack([by_hash[text_hash(q.text)] for q in items])
    mean = None
    if background:
        mean = _unit(np.stack([by_hash[text_hash(t)] for t in background]).astype(np.float64)).mean(axis=0)
    langs = [detect_lang(q.text) for q in items]
    loop = asyncio.get_running_loop()
    sim = await loop.run_in_executor(None, link_matrix, [q.text for q in items], vectors, mean, langs)
    groups = leader_groups(sim, threshold=LINK_THRESHOLD)
    return [[items[k] for k in group] for group in groups]


def group_json(group: Sequence[Question]) -> dict[str, Any]:
    """A group as `/api/insights` shows it, with the draft article it is one click from."""
    langs = Counter(detect_lang(q.text) for q in group)
    lang = langs.most_common(1)[0][0]
    leader = group[0]
    examples = list(dict.fromkeys(q.text.strip() for q in group))[:20]
    return {
        "size": len(group),
        "representative": leader.text,
        "languages": dict(langs),
        "ids": [q.id for q in group],
        "conversations": len({q.conversation_id for q in group if q.conversation_id is not None}),
        "first_seen": min(q.created_at for q in group).isoformat(),
        "last_seen": max(q.created_at for q in group).isoformat(),
        "questions": [{"id": q.id, "text": q.text, "lang": detect_lang(q.text)} for q in group],
        "draft": {"title": leader.text.strip()[:200], "lang": lang, "status": "draft", "questions": examples},
    }
