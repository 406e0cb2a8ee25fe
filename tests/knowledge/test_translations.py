"""knowledge.translations on its own: one entry a group, the swap to the customer's language, eval hits."""

from __future__ import annotations

from knowledge.decision import SearchResult
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import ScoredArticle
from knowledge.translations import distinct_groups, in_language, is_hit

ARTICLES = [
    IndexedArticle(slug="kort-nekas", title="Kortet nekas", lang="sv", group="kort-nekas"),
    IndexedArticle(slug="card-declined", title="Card declined", lang="en", group="kort-nekas"),
    IndexedArticle(slug="karte", title="Karte abgelehnt", lang="de", status="draft", group="kort-nekas"),
    IndexedArticle(slug="frakt", title="Frakt", lang="sv", group="frakt"),
    IndexedArticle(slug="swish", title="Swish", lang="sv"),  # no group key given: its own slug
]


def scored(slug: str, score: float) -> ScoredArticle:
    a = next(a for a in ARTICLES if a.slug == slug)
    return ScoredArticle(
        slug=a.slug,
        title=a.title,
        lang=a.lang,
        status=a.status,
        tags=a.tags,
        score=score,
        dense=score,
        lexical=0.1,
        matched=f"matched in {slug}",
        matched_kind="question",
        group=a.group,
    )


def result(*ranked: ScoredArticle, decision: str = "answer", options: int = 1) -> SearchResult:
    return SearchResult("q", decision, ranked[0].score, list(ranked), list(ranked[:options]))  # type: ignore[arg-type]


def test_distinct_groups_keeps_the_best_version_of_each() -> None:
    ranked = [
        scored("kort-nekas", 0.9),
        scored("card-declined", 0.88),
        scored("frakt", 0.5),
        scored("swish", 0.4),
    ]
    assert [a.slug for a in distinct_groups(ranked)] == ["kort-nekas", "frakt", "swish"]
    assert [a.slug for a in distinct_groups(ranked, 2)] == ["kort-nekas", "frakt"]


def test_in_language_swaps_to_a_published_version_and_keeps_the_scores() -> None:
    swedish = result(scored("kort-nekas", 0.9), scored("frakt", 0.5), decision="clarify", options=2)
    english = in_language(swedish, ARTICLES, "en")
    assert [a.slug for a in english.articles] == ["card-declined", "frakt"]  # frakt has no English version
    assert [a.slug for a in english.options] == ["card-declined", "frakt"]
    best = english.articles[0]
    assert (best.title, best.lang, best.score, best.matched) == (
        "Card declined",
        "en",
        0.9,
        "matched in kort-nekas",
    )
    assert (english.decision, english.confidence) == ("clarify", 0.9)
    assert in_language(english, ARTICLES, "sv").articles[0].slug == "kort-nekas"
    assert in_language(swedish, ARTICLES, "de").articles[0].slug == "kort-nekas"  # the German one is a draft
    assert in_language(swedish, ARTICLES, "sv") is swedish


def test_is_hit_counts_another_language_version() -> None:
    english = result(scored("card-declined", 0.9), scored("frakt", 0.5))
    assert is_hit(english, "card-declined")
    assert is_hit(english, "kort-nekas")  # the main article, the group's key
    assert not is_hit(english, "frakt")
    assert not is_hit(english, None)
    swedish = result(scored("kort-nekas", 0.9), scored("card-declined", 0.8))
    assert is_hit(swedish, "card-declined")  # a version ranked too shares the best's group
    assert not is_hit(SearchResult("q", "handoff", 0.0), "kort-nekas")
