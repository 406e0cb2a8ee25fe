"""bot/http/article_export.py: the download's format, headers and who may have it (the round trip back in:
tests/bot/http/test_article_import.py)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from bot.http.article_export import _export_bytes
from knowledge import ArticleData

ARTICLES = [
    ArticleData(slug="swish", title="Swish", body="Välj Swish."),
    ArticleData(slug="retur", title="Retur"),
]


def test_each_format_holds_every_article() -> None:
    rows = [json.loads(line) for line in _export_bytes(ARTICLES, "jsonl").decode().splitlines()]
    assert [r["slug"] for r in rows] == ["swish", "retur"]
    assert _export_bytes(ARTICLES, "csv").decode().splitlines()[0].startswith("slug,title")
    archive = zipfile.ZipFile(io.BytesIO(_export_bytes(ARTICLES, "zip")))
    assert sorted(archive.namelist()) == ["articles/retur.md", "articles/swish.md"]
    assert "Välj Swish." in archive.read("articles/swish.md").decode()


async def test_the_download_is_jsonl_by_default_and_never_cached(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    resp = await app_client.get("/api/articles/export", headers=admin_headers)
    assert resp.status == 200 and resp.content_type == "application/x-ndjson"
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert all(json.loads(line)["slug"] for line in (await resp.text()).splitlines())
    resp = await app_client.get("/api/articles/export?format=ZIP", headers=admin_headers)
    assert resp.status == 200 and resp.content_type == "application/zip"
    resp = await app_client.get("/api/articles/export?format=xml", headers=admin_headers)
    assert resp.status == 400 and (await resp.json())["error"]["code"] == "unknown_format"
    assert (await app_client.get("/api/articles/export", headers=agent_headers)).status == 403
