"""`POST /api/articles/import` (admin): articles from an upload, checked as `kundresa kb import` checks them.

A multipart upload (one `.jsonl`, `.csv` or `.zip` of `.md` files, or one or more `.md` files) or a raw
body with `?format=jsonl|csv|md|zip`; parsed by `knowledge.upload`, then upserted in one transaction.
Answers `{"created","updated","unchanged"}` (lists of slugs); a bad file is a 400 naming `file:line` (also
apart: `error.file`, `error.line`) and nothing is imported. `?dry_run=1` only reports what would change.
"""

from __future__ import annotations

import asyncio

from aiohttp import BodyPartReader, web

from config import TooLargeError, ValidationError
from config.errors import ImportFormatError
from infra.app_keys import SESSIONS
from knowledge.upload import (
    IMPORT_MAX_BYTES,
    MAX_FILES,
    Upload,
    basename,
    body_format,
    parse_uploads,
    raw_upload,
)
from router.privacy import audit
from router.web import KB, requires, user_of

__all__ = ["add_routes"]


async def _read_part(part: BodyPartReader, budget: int) -> bytes:
    out = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        out += chunk
        if len(out) > budget:
            raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
    return bytes(out)


async def _uploads(request: web.Request) -> list[Upload]:
    """The files of a multipart upload, or the raw body named by `?format=` (or `?filename=`)."""
    if request.content_length is not None and request.content_length > IMPORT_MAX_BYTES:
        raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
    if not request.content_type.startswith("multipart/"):
        name = request.query.get("filename")
        fmt = body_format(request.query.get("format") or "", name)
        raw = await request.content.read(IMPORT_MAX_BYTES + 1)
        if len(raw) > IMPORT_MAX_BYTES:
            raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
        return [raw_upload(raw, fmt, name)]
    uploads: list[Upload] = []
    reader = await request.multipart()
    used = 0
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.filename is None:
            continue  # a plain form field
        data = await _read_part(part, IMPORT_MAX_BYTES - used)
        used += len(data)
        uploads.append(Upload(basename(part.filename), data))
        if len(uploads) > MAX_FILES:
            raise ValidationError(f"at most {MAX_FILES} files at a time")
    if not uploads:
        raise ValidationError("no file in the upload: send it in a multipart field named 'file'")
    return uploads


@requires("admin")
async def import_articles(request: web.Request) -> web.Response:
    uploads = await _uploads(request)
    loop = asyncio.get_running_loop()
    try:
        articles = await loop.run_in_executor(None, parse_uploads, uploads)
    except ImportFormatError as exc:  # also where, apart: the console says it in the admin's language
        error = {"code": exc.code, "message": exc.message, "file": exc.path, "line": exc.line}
        return web.json_response({"error": error}, status=exc.status)
    kb = request.app[KB]
    if request.query.get("dry_run") in ("1", "true"):
        report = await kb.import_preview(articles)
        return web.json_response({**report, "dry_run": True, "count": len(articles)})
    result = await kb.import_articles(articles, author=user_of(request).name)
    changed = {"created": len(result.created), "updated": len(result.updated)}
    who = audit.by(user_of(request))
    await audit.log(request.app[SESSIONS], who, "article.import", "article", None, changed)
    return web.json_response({**result.to_json(), "dry_run": False, "count": len(articles)})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/articles/import", import_articles)
