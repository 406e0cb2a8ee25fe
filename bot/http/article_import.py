"""`POST /api/articles/import` (admin): articles from an upload, checked as `kundresa kb import` checks them.

A multipart upload (one `.jsonl`, `.csv` or `.zip` of `.md` files, or one or more `.md` files) or a raw
body with `?format=jsonl|csv|md|zip`; read with `knowledge.formats.read_articles`, then upserted in one
transaction. Answers `{"created","updated","unchanged"}` (lists of slugs); a bad file is a 400 naming
`file:line` (also apart: `error.file`, `error.line`) and nothing is imported. `?dry_run=1` only reports
what would change.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import BodyPartReader, web

from config import TooLargeError, ValidationError
from config.errors import ImportFormatError
from infra.app_keys import SESSIONS
from knowledge import ArticleData
from knowledge.formats import read_articles
from router.privacy import audit
from router.web import KB, requires, user_of

__all__ = ["add_routes"]

IMPORT_MAX_BYTES = 32 * 1024 * 1024  # an upload (all files together, a zip's contents included)
MAX_FILES = 5000
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "md": ".md", "markdown": ".md", "zip": ".zip"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name.lower()).suffix


def _basename(name: str) -> str:
    """The last part of a client-given file name (browsers may send a path), never empty."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return base or "upload"


async def _read_part(part: BodyPartReader, budget: int) -> bytes:
    out = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        out += chunk
        if len(out) > budget:
            raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
    return bytes(out)


async def _uploads(request: web.Request) -> list[_Upload]:
    """The files of a multipart upload, or the raw body named by `?format=` (or `?filename=`)."""
    if request.content_length is not None and request.content_length > IMPORT_MAX_BYTES:
        raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
    uploads: list[_Upload] = []
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        used = 0
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.filename is None:
                continue  # a plain form field
            data = await _read_part(part, IMPORT_MAX_BYTES - used)
            used += len(data)
            uploads.append(_Upload(_basename(part.filename), data))
            if len(uploads) > MAX_FILES:
                raise ValidationError(f"at most {MAX_FILES} files at a time")
        if not uploads:
            raise ValidationError("no file in the upload: send it in a multipart field named 'file'")
        return uploads
    fmt = (request.query.get("format") or "").lower().lstrip(".")
    name = request.query.get("filename")
    if not fmt and name:
        fmt = PurePosixPath(name.lower()).suffix.lstrip(".")
    if fmt not in SUFFIXES:
        raise ValidationError(
            "say what the body is: ?format=jsonl, csv, md or zip (or send a multipart file upload)",
            code="unknown_format",
        )
    raw = await request.content.read(IMPORT_MAX_BYTES + 1)
    if len(raw) > IMPORT_MAX_BYTES:
        raise TooLargeError(f"the upload is over {IMPORT_MAX_BYTES} bytes")
    if not raw.strip():
        raise ValidationError("the request body is empty: send the file's contents")
    default = f"articles{SUFFIXES[fmt]}"
    name = _basename(name) if name else default
    if PurePosixPath(name.lower()).suffix != SUFFIXES[fmt]:
        name = f"{name}{SUFFIXES[fmt]}"
    return [_Upload(name, raw)]


def _safe(name: str, suffix: str) -> str:
    stem = _SAFE_NAME.sub("_", PurePosixPath(name).stem).strip("._") or "file"
    return f"{stem[:120]}{suffix}"


def _unzip(upload: _Upload) -> list[_Upload]:
    """The `.md` files of a zip (folders flattened); its total size is limited before anything is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except zipfile.BadZipFile as exc:
        raise ImportFormatError(
            upload.name, None, "not a valid .zip file: zip a folder of .md files"
        ) from exc
    with archive:
        entries = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.lower().endswith((".md", ".markdown"))
            and not any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(info.filename).parts)
        ]
        if sum(info.file_size for info in entries) > IMPORT_MAX_BYTES:
            raise TooLargeError(f"the zip's files are over {IMPORT_MAX_BYTES} bytes unpacked")
        if len(entries) > MAX_FILES:
            raise ValidationError(f"at most {MAX_FILES} files at a time")
        out = []
        for info in entries:
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise ImportFormatError(
                    f"{upload.name}/{info.filename}", None, f"cannot unpack this file ({exc})"
                ) from exc
            out.append(_Upload(f"{upload.name}/{info.filename}", data))
    if not out:
        raise ImportFormatError(upload.name, None, "the zip holds no .md files: zip a folder of .md files")
    return out


def _materialize(uploads: list[_Upload], tmp: Path) -> tuple[Path, dict[str, str]]:
    """Write the upload where `read_articles` can read it; returns that path and temp → client names."""
    kinds = {u.suffix for u in uploads}
    if kinds <= {".jsonl", ".csv"}:
        if len(uploads) != 1:
            raise ValidationError("send one .jsonl or .csv file at a time (or several .md files)")
        upload = uploads[0]
        path = tmp / _safe(upload.name, upload.suffix)
        path.write_bytes(upload.data)
        return path, {str(path): upload.name}
    if kinds == {".zip"}:
        if len(uploads) != 1:
            raise ValidationError("send one .zip file at a time")
        uploads = _unzip(uploads[0])
    elif not kinds <= {".md", ".markdown"}:
        odd = ", ".join(sorted(u.name for u in uploads if u.suffix not in (".md", ".markdown")))
        raise ValidationError(
            f"unsupported file type ({odd}): send a .jsonl, a .csv, a .zip of .md files or .md files",
            code="unknown_format",
        )
    folder = tmp / "articles"
    folder.mkdir()
    names: dict[str, str] = {}
    taken: dict[str, str] = {}
    for upload in uploads:
        safe = _safe(_basename(upload.name), ".md")
        if safe in taken:
            raise ImportFormatError(
                upload.name, None, f"has the same file name as {taken[safe]}: give each file its own name"
            )
        taken[safe] = upload.name
        path = folder / safe
        path.write_bytes(upload.data)
        names[str(path)] = upload.name
    return folder, names


def _parse(uploads: list[_Upload]) -> list[ArticleData]:
    """Blocking: validate the files with the CLI's reader; errors name the client's file and line."""
    with tempfile.TemporaryDirectory(prefix="kundresa-import-") as tmp:
        path, names = _materialize(uploads, Path(tmp))
        try:
            return read_articles(path)
        except ImportFormatError as exc:
            shown = names.get(exc.path)
            if shown is None:  # some other path under tmp: show it relative
                shown = exc.path.replace(f"{tmp}/", "").replace(tmp, "")
            raise ImportFormatError(shown, exc.line, exc.problem) from None


def _normalised(data: ArticleData) -> ArticleData:
    return replace(data, questions=list(dict.fromkeys(q.strip() for q in data.questions if q.strip())))


@requires("admin")
async def import_articles(request: web.Request) -> web.Response:
    uploads = await _uploads(request)
    loop = asyncio.get_running_loop()
    try:
        articles = await loop.run_in_executor(None, _parse, uploads)
    except ImportFormatError as exc:  # also where, apart: the console says it in the admin's language
        error = {"code": exc.code, "message": exc.message, "file": exc.path, "line": exc.line}
        return web.json_response({"error": error}, status=exc.status)
    kb = request.app[KB]
    if request.query.get("dry_run") in ("1", "true"):
        existing = {a.slug: _normalised(a) for a in await kb.export_articles()}
        report: dict[str, Any] = {"created": [], "updated": [], "unchanged": []}
        for data in articles:
            old = existing.get(data.slug)
            change = "created" if old is None else "unchanged" if old == _normalised(data) else "updated"
            report[change].append(data.slug)
        return web.json_response({**report, "dry_run": True, "count": len(articles)})
    result = await kb.import_articles(articles, author=user_of(request).name)
    changed = {"created": len(result.created), "updated": len(result.updated)}
    who = audit.by(user_of(request))
    await audit.log(request.app[SESSIONS], who, "article.import", "article", None, changed)
    return web.json_response({**result.to_json(), "dry_run": False, "count": len(articles)})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/articles/import", import_articles)
