"""knowledge/index.py with synthetic vectors (texts that share no words: only the vectors tell articles
apart): the nearest article wins, drafts and other languages are left out, language versions are one
candidate, and `replace` gives what a fresh build gives (through a real KnowledgeBase: test_live_index.py)."""

from __future__ import annotations

import numpy as np

from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.text import text_hash

DIM = 16
rng = np.random.default_rng(7)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


CENTRES = {slug: unit(rng.normal(size=DIM)) for slug in ("alfa", "bravo", "charlie", "delta")}


def vectors_for(articles: list[IndexedArticle]) -> dict[str, np.ndarray]:
    """Every text of an article near its group's centre (its own slug's when it has no group)."""
    out = {}
    for a in articles:
        for text in SearchIndex.texts_of([a]):
            out[text_hash(text)] = unit(CENTRES[a.group or a.slug] + 0.2 * rng.normal(size=DIM))
    return out


def article(slug: str, **kw: object) -> IndexedArticle:
    return IndexedArticle(slug=slug, title=f"t{slug}x", questions=(f"q{slug}1", f"q{slug}2"), **kw)  # type: ignore[arg-type]


def build(articles: list[IndexedArticle]) -> SearchIndex:
    return SearchIndex.build(articles, vectors_for(articles), DIM)


def near(slug: str) -> np.ndarray:
    return unit(CENTRES[slug] + 0.1 * rng.normal(size=DIM))


ARTICLES = [
    article("alfa"),
    article("bravo"),
    article("charlie", status="draft"),
    article("delta", lang="en"),
]


def test_the_nearest_published_article_wins() -> None:
    index = build(ARTICLES)
    assert len(index) == 4 and set(index.by_slug) == {"alfa", "bravo", "charlie", "delta"}
    assert index.main_lang == "sv"
    assert [r.slug for r in index.score(near("bravo"), "zzz", limit=1)] == ["bravo"]
    results = index.score(near("alfa"), "zzz")
    assert results[0].slug == "alfa" and "charlie" not in [r.slug for r in results]  # a draft
    assert [r.slug for r in index.score(near("charlie"), "zzz", include_drafts=True, limit=1)] == ["charlie"]
    assert list(index.published_mask()) == [True, True, False, True]


def test_a_language_filter_falls_back_to_every_language() -> None:
    index = build(ARTICLES)
    assert [r.slug for r in index.score(near("alfa"), "zzz", lang="en")] == ["delta"]
    assert {r.slug for r in index.score(near("alfa"), "zzz", lang="fi")} == {"alfa", "bravo", "delta"}


def test_language_versions_are_one_candidate() -> None:
    versions = [article("alfa"), article("alfa-en", lang="en", group="alfa"), article("bravo")]
    index = build(versions)
    slugs = [r.slug for r in index.score(near("alfa"), "zzz")]
    assert len([s for s in slugs if s.startswith("alfa")]) == 1 and "bravo" in slugs


def test_replace_equals_a_fresh_build() -> None:
    index = build(ARTICLES[:3])
    changed = article("bravo", body="ny text")
    replaced = index.replace({"alfa"}, [changed, ARTICLES[3]], vectors_for([changed, ARTICLES[3]]))
    assert [a.slug for a in replaced.articles] == ["bravo", "charlie", "delta"]  # in place, new ones last
    fresh = SearchIndex(replaced.blocks, DIM)
    query = near("delta")
    got = [(r.slug, round(r.score, 5)) for r in replaced.score(query, "zzz", include_drafts=True)]
    assert got == [(r.slug, round(r.score, 5)) for r in fresh.score(query, "zzz", include_drafts=True)]
    assert index.by_slug.keys() == {"alfa", "bravo", "charlie"}  # the old index is untouched


def test_an_empty_index_finds_nothing() -> None:
    empty = SearchIndex.build([], {}, DIM)
    assert len(empty) == 0 and empty.score(near("alfa"), "zzz") == [] and empty.main_lang is None


def test_a_question_typed_verbatim_answers_with_its_article() -> None:
    """An example question of bravo's that sits among alfa's texts (an admin put it there on purpose): the
    other signals favour alfa, the verbatim match puts bravo first."""
    odd = "qodd"
    articles = [article("alfa"), IndexedArticle(slug="bravo", title="tbravox", questions=("qbravo1", odd))]
    vectors = vectors_for(articles)
    vectors[text_hash(odd)] = vec = unit(CENTRES["alfa"] + 0.05 * rng.normal(size=DIM))
    index = SearchIndex.build(articles, vectors, DIM)
    # the signals that see the whole article (its centroid, the classifier head) outweigh one question
    whole = Fusion(centroid_weight=2.0, head_weight=1.0)
    assert index.score(vec, odd, fusion=whole)[0].slug == "bravo"
    # a question merely near it (not the same text) is alfa's, as those signals say
    near_alfa = unit(vec + 0.3 * rng.normal(size=DIM))
    assert index.score(near_alfa, "zzz", fusion=whole)[0].slug == "alfa"
