"""`knowledge.index_blocks`: articles as indexed, their units and one article's block."""

from __future__ import annotations

import numpy as np

from knowledge import ArticleData
from knowledge.index_blocks import ArticleBlock, IndexedArticle, Prefixes, Unit, article_units
from knowledge.text import text_hash


def test_language_versions_share_the_root_as_group() -> None:
    root = IndexedArticle.of(ArticleData(slug="retur", title="Retur", lang="sv"))
    version = IndexedArticle.of(
        ArticleData(slug="returns", title="Returns", lang="en", translation_of="retur")
    )
    assert root.group == version.group == "retur"


def test_units_are_the_title_the_questions_and_the_passages() -> None:
    article = IndexedArticle("a", "Title", questions=("q1?", "q2?"), body="First part.\n\nSecond part.")
    units = article_units(article, 3)
    assert [(u.article, u.kind) for u in units] == [
        (3, "title"),
        (3, "question"),
        (3, "question"),
        (3, "passage"),
        (3, "passage"),
    ]
    prefixes = Prefixes(query="query: ", passage="passage: ")
    assert prefixes.embed_text(Unit(0, "question", "q1?")) == "query: q1?"
    assert prefixes.embed_text(Unit(0, "passage", "x")) == "passage: x"


def test_a_block_holds_its_units_vectors_in_order() -> None:
    article = IndexedArticle("a", "Title", questions=("q?",))
    prefixes = Prefixes(query="query: ")
    vectors = {
        text_hash("query: Title"): np.array([1.0, 0.0], dtype=np.float32),
        text_hash("query: q?"): np.array([0.0, 1.0], dtype=np.float32),
    }
    block = ArticleBlock.build(article, vectors, prefixes)
    assert block.texts == ("Title", "q?") and block.kinds == ("title", "question")
    assert block.vectors.tolist() == [[1.0, 0.0], [0.0, 1.0]]
