"""`router.article_usage.article_health`: articles joined with their usage, most shown first."""

from __future__ import annotations

from router.article_usage import ArticleUsage, article_health


def test_health_rows_join_usage_and_sort() -> None:
    articles = [
        {"slug": "a", "title": "A", "status": "published", "lang": "sv", "tags": []},
        {"slug": "b", "title": "B", "status": "draft", "lang": "en", "tags": ["x"]},
        {"slug": "c", "title": "C", "status": "published", "lang": "sv", "tags": []},
    ]
    usage = ArticleUsage(
        shown={"b": 4, "c": 4, "gone": 9},
        feedback={("b", True): 3, ("b", False): 1, ("a", False): 2},
        handoffs={"c": 2},
    )
    rows = article_health(articles, usage)
    assert [r["slug"] for r in rows] == ["c", "b", "a"]  # shown, then handoffs, then slug
    b = rows[1]
    assert (b["shown"], b["helped"], b["not_helped"], b["helped_rate"], b["handoffs"]) == (4, 3, 1, 0.75, 0)
    assert b["tags"] == ["x"] and b["status"] == "draft"
    assert rows[2]["helped_rate"] == 0.0 and rows[0]["helped_rate"] is None
