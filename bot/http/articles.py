"""Admin API for articles: list, create, read, update (a version per change), delete, history, and
adding or removing one example question (`DELETE …/questions` `{"text": …}`: a new version)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from config import ValidationError
from infra.app_keys import SESSIONS
from knowledge import ArticleData
from router.privacy import audit
from router.web import KB, path_id, read_object, requires, user_of

# What GET returns besides the article itself; a client may PUT back what it got.
READ_ONLY = ("version", "created_at", "updated_at", "question_sources", "translations")


def _editable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in READ_ONLY}


async def _audit(request: web.Request, action: str, slug: str, details: dict[str, Any] | None = None) -> None:
    """Every article change in the audit log (router/privacy/audit.py)."""
    await audit.log(request.app[SESSIONS], audit.by(user_of(request)), action, "article", slug, details)


def _filters(request: web.Request) -> dict[str, str | None]:
    q = request.query
    return {"status": q.get("status"), "lang": q.get("lang"), "tag": q.get("tag"), "query": q.get("q")}


@requires("agent")
async def list_articles(request: web.Request) -> web.Response:
    items = await request.app[KB].list_articles(**_filters(request))
    return web.json_response({"articles": items, "count": len(items)})


@requires("admin")
async def create_article(request: web.Request) -> web.Response:
    data = ArticleData.from_dict(_editable(await read_object(request)))
    article = await request.app[KB].create(data, author=user_of(request).name)
    await _audit(request, "article.create", data.slug)
    return web.json_response(article, status=201)


@requires("agent")
async def get_article(request: web.Request) -> web.Response:
    return web.json_response(await request.app[KB].get(request.match_info["slug"]))


@requires("admin")
async def put_article(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    body = _editable(await read_object(request))
    body.setdefault("slug", slug)
    if body["slug"] != slug:
        raise ValidationError("the slug in the body differs from the one in the URL")
    article, change = await request.app[KB].save(ArticleData.from_dict(body), author=user_of(request).name)
    action = "article.create" if change == "created" else "article.update"
    await _audit(request, action, slug, {"change": change})
    return web.json_response(article, status=201 if change == "created" else 200)


@requires("admin")
async def delete_article(request: web.Request) -> web.Response:
    await request.app[KB].delete(request.match_info["slug"])
    await _audit(request, "article.delete", request.match_info["slug"])
    return web.json_response({"deleted": request.match_info["slug"]})


@requires("admin")
async def article_versions(request: web.Request) -> web.Response:
    versions = await request.app[KB].versions(request.match_info["slug"])
    return web.json_response({"versions": versions})


@requires("admin")
async def restore_version(request: web.Request) -> web.Response:
    version = path_id(request, "version", name="version")
    article = await request.app[KB].restore(request.match_info["slug"], version, author=user_of(request).name)
    await _audit(request, "article.restore", request.match_info["slug"], {"version": version})
    return web.json_response(article)


@requires("admin")
async def add_question(request: web.Request) -> web.Response:
    body = await read_object(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("'text' (the example question) is required")
    added = await request.app[KB].add_question(request.match_info["slug"], text, author=user_of(request).name)
    if added:
        await _audit(request, "article.question_add", request.match_info["slug"])
    return web.json_response({"added": added}, status=201 if added else 200)


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
    result = await request.app[KB].remove_question(slug, text, author=user_of(request).name)
    await _audit(request, "article.question_delete", slug)
    return web.json_response({"removed": text, "article": result})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/articles", list_articles)
    app.router.add_post("/api/articles", create_article)
    app.router.add_get("/api/articles/{slug}", get_article)
    app.router.add_put("/api/articles/{slug}", put_article)
    app.router.add_delete("/api/articles/{slug}", delete_article)
    app.router.add_get("/api/articles/{slug}/versions", article_versions)
    app.router.add_post("/api/articles/{slug}/versions/{version}/restore", restore_version)
    app.router.add_post("/api/articles/{slug}/questions", add_question)
    app.router.add_delete("/api/articles/{slug}/questions", delete_question)
