"""`knowledge.article_view`: an article as the API shows it, with its language versions."""

from __future__ import annotations

from knowledge import ArticleData, KnowledgeBase, article_view
from knowledge import repository as repo


async def test_describe_lists_the_other_language_versions(kb: KnowledgeBase) -> None:
    await kb.import_articles(
        [
            ArticleData(slug="retur", title="Retur", lang="sv", questions=["Kan jag returnera?"]),
            ArticleData(slug="returns", title="Returns", lang="en", translation_of="retur"),
            ArticleData(slug="retur-de", title="Rückgabe", lang="de", translation_of="returns"),
            ArticleData(slug="other", title="Other", lang="sv"),
        ]
    )
    async with kb.sessions() as session:
        root = await article_view.describe(session, await repo.get(session, "retur"))
        version = await article_view.describe(session, await repo.get(session, "retur-de"))
        rows = await repo.all_articles(session)
    assert [t["slug"] for t in root["translations"]] == ["retur-de", "returns"]  # by language after the root
    assert [t["slug"] for t in version["translations"]] == ["retur", "returns"]
    assert version["translation_of"] == "retur"  # stored resolved to the root
    assert root["question_sources"] == [{"text": "Kan jag returnera?", "source": "admin"}]
    assert root["version"] == 1 and root["created_at"] <= root["updated_at"]
    groups = article_view.by_group(rows)
    assert sorted(groups) == ["other", "retur"] and len(groups["retur"]) == 3
