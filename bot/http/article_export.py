"""`GET /api/articles/export?format=jsonl|csv|zip` (admin): every article as a download (`zip`: a folder
of `.md` files), written by `knowledge.formats.write_articles` as `kundresa kb export` writes them."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from config import ValidationError
from knowledge import ArticleData
from knowledge.formats import write_articles
from router.web import KB, requires

__all__ = ["add_routes"]

EXPORTS = {
    "jsonl": ("application/x-ndjson", ".jsonl"),
    "csv": ("text/csv", ".csv"),
    "zip": ("application/zip", ".zip"),
}


def _export_bytes(articles: list[ArticleData], fmt: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="kundresa-export-") as tmp:
        if fmt in ("jsonl", "csv"):
            path = Path(tmp) / f"articles.{fmt}"
            write_articles(articles, path)
            return path.read_bytes()
        folder = Path(tmp) / "articles"
        write_articles(articles, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.glob("*.md")):
                archive.write(file, f"articles/{file.name}")
        return buffer.getvalue()


@requires("admin")
async def export_articles(request: web.Request) -> web.Response:
    fmt = (request.query.get("format") or "jsonl").lower()
    if fmt not in EXPORTS:
        raise ValidationError(
            "format must be jsonl, csv or zip (a folder of .md files)", code="unknown_format"
        )
    articles = await request.app[KB].export_articles()
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(None, _export_bytes, articles, fmt)
    content_type, suffix = EXPORTS[fmt]
    name = f"kundresa-articles-{datetime.now(UTC):%Y%m%d-%H%M}{suffix}"
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8" if fmt != "zip" else None,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/articles/export", export_articles)
