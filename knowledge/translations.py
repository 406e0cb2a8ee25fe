"""Language versions of one article (`translation_of`): they form a group keyed by the root article's slug.

The search ranks every version; then a group counts once (its best-scoring version: two versions of one
article are not two candidates, or the decision would find them too close to call), and after the
decision each article is shown in the customer's language when a published version in it exists, with
the score and decision it got. An article without a version in that language answers as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from knowledge.decision import SearchResult
from knowledge.index_blocks import IndexedArticle

# (group, lang) -> the published version, for the latest index's article list (one slot: the live index)
from knowledge.scored import ScoredArticle

# (group, lang) -> the published version, for the latest index's article list (one slot: the live index)
_published: list[tuple[Sequence[IndexedArticle], dict[tuple[str, str], IndexedArticle]]] = []


def group_of(article: IndexedArticle | ScoredArticle) -> str:
    return article.group or article.slug


def distinct_groups(ranked: Sequence[ScoredArticle], limit: int | None = None) -> list[ScoredArticle]:
    """The best-ranked version of each group, in rank order, at most `limit`."""
    seen: set[str] = set()
    out: list[ScoredArticle] = []
    for a in ranked:
        if group_of(a) not in seen:
            seen.add(group_of(a))
            out.append(a)
    return out if limit is None else out[:limit]


def published_versions(articles: Sequence[IndexedArticle]) -> dict[tuple[str, str], IndexedArticle]:
    """(group, lang) -> the first published article of that group in that language."""
    if _published and _published[0][0] is articles:
        return _published[0][1]
    table: dict[tuple[str, str], IndexedArticle] = {}
    for a in articles:
        if a.status == "published":
            table.setdefault((group_of(a), a.lang), a)
    _published[:] = [(articles, table)]
    return table


def in_language(result: SearchResult, articles: Sequence[IndexedArticle], lang: str) -> SearchResult:
    """`result` with each ranked article and clarify option replaced by its published version in `lang`
    when it has one (`articles`: the index's); scores, decision and confidence stay."""
    if all(a.lang == lang for a in result.articles) and all(a.lang == lang for a in result.options):
        return result
    table = published_versions(articles)

    def swap(a: ScoredArticle) -> ScoredArticle:
        version = table.get((group_of(a), lang)) if a.lang != lang else None
        if version is None or version.slug == a.slug:
            return a
        return replace(
            a,
            slug=version.slug,
            title=version.title,
            lang=version.lang,
            status=version.status,
            tags=version.tags,
            group=version.group,
        )

    return replace(
        result, articles=[swap(a) for a in result.articles], options=[swap(a) for a in result.options]
    )


def is_hit(result: SearchResult, expected: str | None) -> bool:
    """Evaluation: the best article is `expected` or another language version of it. `expected`'s group
    is known when it is the group's main article (the group key) or when it is ranked too."""
    best = result.best
    if best is None or expected is None:
        return False
    if best.slug == expected or group_of(best) == expected:
        return True
    return any(a.slug == expected and group_of(a) == group_of(best) for a in result.articles)
