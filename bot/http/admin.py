"""The admin console (`/admin`, issue 6) and the admin API it needs beyond the articles CRUD.

Pages: `GET /admin` (the page, strict CSP), `GET /admin/admin.js`, `GET /admin/markdown.js` (the safe
Markdown renderer the widget uses too, so the live preview renders exactly as customers will see it).

API (admin role, JSON errors like everywhere else):
- `GET /api/admin/config`: who is logged in, the tag → team map of `[routing.teams]` and the default team;
- `POST /api/articles/import`: a multipart upload (one `.jsonl`, `.csv` or `.zip` of `.md` files, or one
  or more `.md` files) or a raw body with `?format=jsonl|csv|md|zip`; validated with the same reader as
  `kundresa kb import`, then upserted in one transaction. Answers `{"created","updated","unchanged"}`
  (lists of slugs); a bad file is a 400 naming `file:line` (also apart: `error.file`, `error.line`) and
  nothing is imported. `?dry_run=1` only
  reports what would change;
- `GET /api/articles/export?format=jsonl|csv|zip`: the download (`zip`: a folder of `.md` files);
- `DELETE /api/articles/{slug}/questions` `{"text": …}`: remove one example question (a new version);
- `GET /api/articles/health`: per article how often the bot showed it, "helped" / "didn't help" and the
  handoffs after it (answers of it that were the conversation's last before a ticket opened: never more
  than it was shown), from four grouped queries.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from aiohttp import BodyPartReader, web
from sqlalchemy import func, select

from bot.app_keys import KB, SESSIONS, SETTINGS
from bot.http.common import read_object, requires, user_of
from config import NotFoundError, TooLargeError, ValidationError
from config.errors import ImportFormatError
from knowledge import ArticleData
from knowledge import repository as repo
from knowledge.formats import read_articles, write_articles
from knowledge.models import Article
from router.assets import Asset, add_assets, page
from router.models import Feedback, Message, Ticket
from router.privacy import audit

STATIC = Path(__file__).resolve().parent.parent / "static"
IMPORT_MAX_BYTES = 32 * 1024 * 1024  # an upload (all files together, a zip's contents included)
MAX_FILES = 5000
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "md": ".md", "markdown": ".md", "zip": ".zip"}
EXPORTS = {
    "jsonl": ("application/x-ndjson", ".jsonl"),
    "csv": ("text/csv", ".csv"),
    "zip": ("application/zip", ".zip"),
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# -- pages ----------------------------------------------------------------------------------------------
async def admin_page(request: web.Request) -> web.Response:
    return page(request, STATIC / "admin.html", CSP)


async def admin_slash(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.path.rstrip("/") or "/")


# -- config ---------------------------------------------------------------------------------------------
@requires("admin")
async def admin_config(request: web.Request) -> web.Response:
    user = user_of(request)
    routing = request.app[SETTINGS].routing
    return web.json_response(
        {
            "user": {"name": user.name, "role": user.role},
            "teams": dict(routing.teams),
            "default_team": routing.default_team,
        }
    )


# -- import ---------------------------------------------------------------------------------------------
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


# -- export ---------------------------------------------------------------------------------------------
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


# -- example questions ----------------------------------------------------------------------------------
@requires("admin")
async def delete_question(request: web.Request) -> web.Response:
    """Remove one example question; the article gets a new version, the others keep their source."""
    slug = request.match_info["slug"]
    text: Any = request.query.get("text")
    if text is None:
        text = (await read_object(request)).get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("'text' (the example question to remove) is required")
    text = text.strip()
    kb = request.app[KB]
    async with kb.sessions() as session, session.begin():
        article = await repo.get(session, slug)
        data = repo.to_data(article)
        if text not in data.questions:
            raise NotFoundError(f"article {slug!r} has no example question {text!r}")
        data.questions = [q for q in data.questions if q != text]
        article, _ = await repo.upsert(session, data, author=user_of(request).name)
        result = await repo.describe(session, article)
        audit.add(session, audit.by(user_of(request)), "article.question_delete", "article", slug)
    await kb.changed([slug])
    return web.json_response({"removed": text, "article": result})


# -- health ---------------------------------------------------------------------------------------------
@requires("admin")
async def article_health(request: web.Request) -> web.Response:
    """Per article: shown (bot answers carrying it), helped / not helped, handoffs after it."""
    shown_slug = Message.payload[("article", "slug")].as_string()
    # The bot answer a handoff came after: the conversation's latest answer before the ticket opened.
    # Counting it (once per answer) instead of the ticket's first attempted article means an article
    # is never charged with a handoff it was not shown before (issue 14: "shown 0, handoffs 1").
    answered = (
        select(Message.id)
        .where(
            Message.conversation_id == Ticket.conversation_id,
            Message.kind == "answer",
            Message.direction == "out",
            Message.created_at <= Ticket.created_at,
        )
        .order_by(Message.created_at.desc(), Message.seq.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    async with request.app[SESSIONS]() as session:
        articles = (
            await session.execute(
                select(Article.slug, Article.title, Article.status, Article.lang, Article.tags).order_by(
                    Article.id
                )
            )
        ).all()
        shown: dict[str, int] = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(Message.id))
                    .where(Message.kind == "answer", Message.direction == "out")
                    .group_by(shown_slug)
                )
            ).all()
        )
        feedback: dict[tuple[str | None, bool], int] = {}
        rows = await session.execute(
            select(Feedback.article_slug, Feedback.helpful, func.count(Feedback.id))
            .where(Feedback.article_slug.is_not(None))
            .group_by(Feedback.article_slug, Feedback.helpful)
        )
        for slug, helpful, n in rows:
            feedback[(slug, bool(helpful))] = int(n)
        before = select(answered.label("message_id")).select_from(Ticket).subquery()
        handoffs: dict[str, int] = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(func.distinct(Message.id)))
                    .join(before, before.c.message_id == Message.id)
                    .group_by(shown_slug)
                )
            ).all()
        )
    out = []
    for slug, title, status, lang, tags in articles:
        helped, not_helped = feedback.get((slug, True), 0), feedback.get((slug, False), 0)
        rated = helped + not_helped
        out.append(
            {
                "slug": slug,
                "title": title,
                "status": status,
                "lang": lang,
                "tags": list(tags or []),
                "shown": int(shown.get(slug, 0)),
                "helped": helped,
                "not_helped": not_helped,
                "helped_rate": round(helped / rated, 4) if rated else None,
                "handoffs": int(handoffs.get(slug, 0)),
            }
        )
    out.sort(key=lambda a: (-int(str(a["shown"])), -int(str(a["handoffs"])), str(a["slug"])))
    return web.json_response({"articles": out, "count": len(out)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page)
    app.router.add_get("/admin/", admin_slash)
    js = "application/javascript"
    add_assets(
        app,
        Asset(STATIC / "admin.js", "/admin/admin.js", js),
        Asset(STATIC / "markdown.js", "/admin/markdown.js", js),
        Asset(STATIC / "admin-audit.js", "/admin/admin-audit.js", js),  # the Audit view (issue 17)
    )
    app.router.add_get("/api/admin/config", admin_config)
    app.router.add_post("/api/articles/import", import_articles)
    app.router.add_get("/api/articles/export", export_articles)
    app.router.add_get("/api/articles/health", article_health)
    app.router.add_delete("/api/articles/{slug}/questions", delete_question)
