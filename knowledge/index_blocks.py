"""What the search index is made of: the articles as indexed (`IndexedArticle`), their units (title,
example questions, body passages), the model's prefixes, and one article's block of the index
(`ArticleBlock`: its units, vectors, term counts and classifier statistics), built once per version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.head import BlockStats, block_stats
from knowledge.lexical import LexicalBlock, count_rows
from knowledge.text import passages, text_hash


@dataclass(frozen=True)
class IndexedArticle:
    slug: str
    title: str
    lang: str = "sv"
    status: str = "published"
    tags: tuple[str, ...] = ()
    body: str = ""
    questions: tuple[str, ...] = ()
    group: str | None = None  # language versions of one article share a group key

    @classmethod
    def of(cls, data: Any) -> IndexedArticle:
        """From an `ArticleData` (files, the API); versions of one article share the root's slug as
        group (as the database stores `translation_of`, already resolved to the root)."""
        return cls(
            slug=data.slug,
            title=data.title,
            lang=data.lang,
            status=data.status,
            tags=tuple(data.tags),
            body=data.body,
            questions=tuple(data.questions),
            group=getattr(data, "translation_of", None) or data.slug,
        )


@dataclass(frozen=True)
class Prefixes:
    """What the model wants before a question and before a document (e5: 'query: ' / 'passage: ').

    Titles and example questions are phrased like questions, so they get the query prefix: a customer's
    question is compared with them query to query, and with the body's passages query to passage."""

    query: str = ""
    passage: str = ""

    def embed_text(self, unit: Unit) -> str:
        return (self.passage if unit.kind == "passage" else self.query) + unit.text


@dataclass(frozen=True)
class Unit:
    """One indexed piece of text and the article it belongs to."""

    article: int
    kind: str  # title | question | passage
    text: str


def article_units(article: IndexedArticle, position: int) -> list[Unit]:
    units = [Unit(position, "title", article.title)]
    units += [Unit(position, "question", q) for q in article.questions]
    units += [Unit(position, "passage", p) for p in passages(article.body)]
    return units


@dataclass(frozen=True, eq=False)
class ArticleBlock:
    """One article's part of the index: built once per article version, reused by every assembly."""

    article: IndexedArticle
    texts: tuple[str, ...]
    kinds: tuple[str, ...]
    vectors: np.ndarray  # (units, dim)
    lexical: LexicalBlock
    head: BlockStats

    @classmethod
    def build(
        cls, article: IndexedArticle, vectors: Mapping[str, np.ndarray], prefixes: Prefixes
    ) -> ArticleBlock:
        units = article_units(article, 0)
        matrix = np.stack([vectors[text_hash(prefixes.embed_text(u))] for u in units]).astype(np.float32)
        return cls(
            article,
            tuple(u.text for u in units),
            tuple(u.kind for u in units),
            matrix,
            count_rows([u.text for u in units]),
            block_stats(matrix),
        )
