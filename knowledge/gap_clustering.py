"""The questions the bot could not answer, grouped by similarity (pure CPU work; knowledge/gaps.py reports).

Grouping combines two signals, because the bundled English MiniLM reads Swedish poorly:

- dense: cosine of the sentence embeddings (through the embedding cache, `kb.store.vectors_for`);
- lexical: IDF-weighted overlap (Dice) of content words from `knowledge.text.tokenize` (Swedish and
  English stems), where a word also matches a longer word it is a prefix of ("garanti" ~ "garantin",
  "krypto" ~ "kryptovaluta"). IDF counts the knowledge base's own texts too, so shop-wide words such as
  "betala" weigh little and a rare shared word such as "bitcoin" weighs a lot.

`similarity = max(w * dense + (1 - w) * lexical, lexical)`, with `w = DENSE_WEIGHT_EN` when both
questions are English and `DENSE_WEIGHT_OTHER` otherwise (the same reasoning as the per-language search
tuning): the embedding can add to a lexical match but never hide one.
Two questions are linked when their similarity is at least `LINK_THRESHOLD`. Groups form greedily around
leaders: the question with the most unassigned links starts a group with every unassigned question
linked to it, which keeps groups tight (no chaining through a series of near neighbours).

The constants are deliberately not settings. They were chosen on hand-written paraphrases of questions
the demo shop cannot answer (Swedish and English: bitcoin, showroom, assembly, warranty, Klarna, pets)
and checked on the demo paraphrase set: at 0.45 they favour clean groups over complete ones, because a
wrong merge hides a gap while a split group still shows it twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from knowledge.text import detect_lang, fold, tokenize
from knowledge.text import words as plain_words

__all__ = ["LINK_THRESHOLD", "GapItem", "group_items", "leader_groups", "lexical_matrix", "similarity_matrix"]

LINK_THRESHOLD = 0.45
DENSE_WEIGHT_EN = 0.7
DENSE_WEIGHT_OTHER = 0.35


@dataclass(frozen=True)
class GapItem:
    id: int
    text: str
    reason: str
    channel: str | None
    created_at: datetime


MIN_PREFIX = 4  # "garanti" ~ "garantin", "monter" ~ "montering", "krypto" ~ "kryptovaluta"


def _words(text: str) -> list[frozenset[str]]:
    """Content words of a text, each as its forms: Swedish and English stems and the folded word."""
    out: dict[frozenset[str], None] = {}
    for word in plain_words(text):
        stems = tokenize(word)
        if stems:  # a stopword has none
            out[frozenset({*stems, fold(word)})] = None
    return list(out)


def _canonical(forms: frozenset[str]) -> str:
    return min(forms, key=lambda f: (len(f), f))


def lexical_matrix(texts: Sequence[str], background: Sequence[str] = ()) -> np.ndarray:
    """Symmetric IDF-weighted overlap of content words (Dice): a word of one text counts as present in
    the other when one of its forms equals, or is a prefix (of at least MIN_PREFIX letters) of, a form
    of a word there. IDF comes from the texts plus `background` (the knowledge base's own texts)."""
    n = len(texts)
    per_text = [_words(t) for t in texts]
    vocab: dict[str, frozenset[str]] = {}
    postings: dict[str, list[int]] = {}
    for i, words in enumerate(per_text):
        for forms in words:
            key = _canonical(forms)
            vocab.setdefault(key, forms)
            postings.setdefault(key, []).append(i)
    df: Counter[str] = Counter()
    for words in [*(_words(t) for t in background), *per_text]:
        df.update({_canonical(f) for f in words})
    n_docs = max(1, len(background) + n)
    idf = {key: math.log(1.0 + n_docs / (1.0 + df[key])) for key in vocab}
    full: dict[str, set[str]] = {}  # form -> words having it
    prefix: dict[str, set[str]] = {}  # form or a prefix of one -> words
    for key, forms in vocab.items():
        for form in forms:
            full.setdefault(form, set()).add(key)
            prefix.setdefault(form, set()).add(key)
            for k in range(MIN_PREFIX, len(form)):
                prefix.setdefault(form[:k], set()).add(key)
    reach: dict[str, np.ndarray] = {}  # word -> texts holding a matching word
    for key, forms in vocab.items():
        matches: set[str] = set()
        for form in forms:
            matches |= prefix.get(form, set())  # this form is (a prefix of) another word's form
            for k in [*range(MIN_PREFIX, len(form)), len(form)]:
                matches |= full.get(form[:k], set())  # another word's form is a prefix of this one
        reach[key] = np.unique(np.concatenate([np.asarray(postings[m], dtype=np.int64) for m in matches]))
    shared = np.zeros((n, n), dtype=np.float64)
    weight = np.zeros(n, dtype=np.float64)
    for i, words in enumerate(per_text):
        for forms in words:
            key = _canonical(forms)
            shared[i, reach[key]] += idf[key]
            weight[i] += idf[key]
    total = weight[:, None] + weight[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, (shared + shared.T) / total, 0.0)
    np.fill_diagonal(out, 1.0)
    return out.astype(np.float32)


def similarity_matrix(
    texts: Sequence[str], vectors: np.ndarray, background: Sequence[str] = ()
) -> np.ndarray:
    """Combined dense + lexical similarity; `background` texts (the articles) only inform the IDF."""
    lexical = lexical_matrix(texts, background)
    if len(vectors):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms > 0, norms, 1.0)
        dense = np.clip(unit @ unit.T, -1.0, 1.0)
    else:
        dense = np.zeros_like(lexical)
    english = np.array([detect_lang(t) == "en" for t in texts])
    w = np.where(english[:, None] & english[None, :], DENSE_WEIGHT_EN, DENSE_WEIGHT_OTHER)
    sim = np.maximum(w * dense + (1.0 - w) * lexical, lexical)  # a weak embedding never hides overlap
    # The very same text (up to case and spacing) is always the same question.
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        key = " ".join(t.lower().split())
        if key in first:
            sim[i, first[key]] = sim[first[key], i] = 1.0
            sim[i, :] = np.maximum(sim[i, :], sim[first[key], :])
            sim[:, i] = sim[i, :]
        else:
            first[key] = i
    np.fill_diagonal(sim, 1.0)
    return sim.astype(np.float32)


def leader_groups(sim: np.ndarray, threshold: float = LINK_THRESHOLD) -> list[list[int]]:
    """Greedy grouping: the best-connected unassigned item leads a group with its unassigned links.

    Each group lists its leader first, then members by similarity to the leader; largest group first.
    Degrees are updated incrementally, so this is O(n^2) overall.
    """
    n = sim.shape[0]
    linked = sim >= threshold
    np.fill_diagonal(linked, False)
    link_f = linked.astype(np.float64)
    degree = link_f.sum(axis=1)
    strength = (np.where(linked, sim, 0.0)).sum(axis=1)
    free = np.ones(n, dtype=bool)
    order = np.arange(n)
    groups: list[list[int]] = []
    while free.any():
        candidates = order[free]
        if degree[candidates].max() <= 0:
            groups.extend([int(i)] for i in candidates)  # the rest are alone
            break
        # most links first, then the strongest links, then the oldest (lowest index)
        best = np.lexsort((candidates, -strength[candidates], -degree[candidates]))[0]
        leader = int(candidates[best])
        members = [int(j) for j in np.flatnonzero(linked[leader] & free)]
        members.sort(key=lambda j: (-float(sim[leader, j]), j))
        group = [leader, *members]
        free[group] = False
        degree -= link_f[:, group].sum(axis=1)
        strength -= np.where(linked[:, group], sim[:, group], 0.0).sum(axis=1)
        groups.append(group)
    groups.sort(key=lambda g: -len(g))  # stable: equally large groups keep their leader order
    return groups


def group_items(
    items: Sequence[GapItem], vectors: np.ndarray, background: Sequence[str] = ()
) -> list[list[GapItem]]:
    """Blocking CPU work (run it in an executor): items grouped, largest group first."""
    if not items:
        return []
    sim = similarity_matrix([i.text for i in items], vectors, background)
    return [[items[k] for k in group] for group in leader_groups(sim)]
