"""The admin console's page and its API through the real app: import/export over HTTP (round trip, bad
files name file:line and import nothing, dry run), removing an example question, article health after real
chats, roles, the page's CSP, and the widget and the console sharing one Markdown renderer.

Every test gets its own database, a copy of one built per module by the real app's start-up (demo
knowledge base imported, its embeddings cached), so an app starts without re-embedding the demo.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from settings_for import settings_for

from bot.app import create_app

STATIC = Path(__file__).resolve().parent.parent.parent / "bot" / "static"
ANSWERABLE = "Kan man betala med swish?"  # an example question of the demo article swish-betalning
Client = Any



async def _slugs(client: Client, headers: dict[str, str]) -> list[str]:
    resp = await client.get("/api/articles", headers=headers)
    assert resp.status == 200
    return sorted(a["slug"] for a in (await resp.json())["articles"])


def _form(name: str, data: bytes, content_type: str = "application/octet-stream") -> FormData:
    form = FormData()
    form.add_field("file", data, filename=name, content_type=content_type)
    return form


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


# -- the page -------------------------------------------------------------------------------------------
async def test_page_is_served_with_a_strict_csp(app_client: Client) -> None:
    resp = await app_client.get("/admin")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and script_src.group(1).strip() == "'self'"  # no inline script, no eval, no CDN
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    page = await resp.text()
    for hook in (
        "admin-token",
        "admin-login",
        "article-list",
        "article-new",
        "editor-title",
        "editor-slug",
        "editor-body",
        "editor-tags",
        "editor-lang",
        "editor-preview",
        "editor-question-input",
        "editor-question-add",
        "editor-save-draft",
        "editor-publish",
        "history",
        "history-restore",
        "try-input",
        "try-run",
        "try-result",
        "gaps",
        "dashboard",
    ):
        assert f'id="{hook}"' in page, hook
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from a CDN or another site
    assert "<script>" not in page  # scripts only from the app itself

    for path in ("/admin/admin.js", "/admin/markdown.js"):
        js = await app_client.get(path)
        assert js.status == 200, path
        assert js.content_type == "application/javascript"
        assert "innerHTML" not in await js.text()

    slash = await app_client.get("/admin/", allow_redirects=False)
    assert slash.status == 302 and slash.headers["Location"] == "/admin"


def _shared_block(text: str) -> str:
    match = re.search(
        r"^ *// BEGIN shared Markdown renderer.*?^ *// END shared Markdown renderer$", text, re.S | re.M
    )
    assert match, "shared Markdown renderer markers missing"
    return match.group(0)


def test_widget_and_console_share_one_markdown_renderer() -> None:
    widget = (STATIC / "widget.js").read_text()
    shared = (STATIC / "markdown.js").read_text()
    assert _shared_block(widget) == _shared_block(shared)
    assert "window.KundresaMarkdown" in shared
    assert "innerHTML" not in _shared_block(widget)


def test_preview_uses_the_widgets_own_css_rules() -> None:
    """The preview's look comes from the widget's rules, copied verbatim: a change to one shows here."""
    widget = (STATIC / "widget.js").read_text().splitlines()
    page = (STATIC / "admin.html").read_text().splitlines()
    selectors = (
        ".kundresa-msg{",
        ".kundresa-msg--them{",
        ".kundresa-bubble{",
        ".kundresa-msg--them .kundresa-bubble{",
        ".kundresa-md{",
        ".kundresa-p{",
        ".kundresa-p:last-child,",
        ".kundresa-mdh{",
        ".kundresa-list{",
        ".kundresa-list li{",
        ".kundresa-ul{",
        ".kundresa-ol{",
        ".kundresa-code{",
        ".kundresa-link{",
        ".kundresa-article{",
    )
    for selector in selectors:
        rules = [line for line in widget if line.startswith(selector)]
        assert len(rules) == 1, selector
        assert rules[0] in page, f"admin.html lacks the widget's rule {rules[0]!r}"


# -- roles ----------------------------------------------------------------------------------------------
ADMIN_ROUTES = [
    ("GET", "/api/admin/config"),
    ("POST", "/api/articles/import?format=jsonl"),
    ("GET", "/api/articles/export?format=jsonl"),
    ("GET", "/api/articles/health"),
    ("DELETE", "/api/articles/swish-betalning/questions"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_need_an_admin(
    app_client: Client, agent_headers: dict[str, str], method: str, path: str
) -> None:
    body = b'{"text": "x"}'
    resp = await app_client.request(method, path, data=body)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"
    resp = await app_client.request(method, path, data=body, headers=agent_headers)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "forbidden"


async def test_config_names_the_admin_and_the_teams(
    app_client: Client, admin_headers: dict[str, str]
) -> None:
    resp = await app_client.get("/api/admin/config", headers=admin_headers)
    assert resp.status == 200
    data = await resp.json()
    assert data["user"] == {"name": "ada", "role": "admin"}
    assert data["teams"]["betalning"] == "payments"
    assert data["default_team"] == "support"


# -- import / export ------------------------------------------------------------------------------------
async def test_export_import_round_trip_over_http(app_client: Client, admin_headers: dict[str, str]) -> None:
    before = await _slugs(app_client, admin_headers)
    exports: dict[str, bytes] = {}
    for fmt, content_type in (
        ("jsonl", "application/x-ndjson"),
        ("csv", "text/csv"),
        ("zip", "application/zip"),
    ):
        resp = await app_client.get(f"/api/articles/export?format={fmt}", headers=admin_headers)
        assert resp.status == 200, fmt
        assert resp.content_type == content_type
        assert re.fullmatch(
            rf'attachment; filename="kundresa-articles-[0-9-]+\.{fmt}"', resp.headers["Content-Disposition"]
        )
        exports[fmt] = await resp.read()
    rows = [json.loads(line) for line in exports["jsonl"].decode().splitlines()]
    assert sorted(r["slug"] for r in rows) == before
    names = zipfile.ZipFile(io.BytesIO(exports["zip"])).namelist()
    assert sorted(names) == sorted(f"articles/{s}.md" for s in before)

    # Each export imports back unchanged: multipart uploads and a raw body.
    for fmt in ("jsonl", "csv", "zip"):
        resp = await app_client.post(
            "/api/articles/import", data=_form(f"export.{fmt}", exports[fmt]), headers=admin_headers
        )
        assert resp.status == 200, await resp.text()
        report = await resp.json()
        assert report["created"] == [] and report["updated"] == [], fmt
        assert sorted(report["unchanged"]) == before
    resp = await app_client.post(
        "/api/articles/import?format=csv", data=exports["csv"], headers=admin_headers
    )
    assert resp.status == 200
    assert sorted((await resp.json())["unchanged"]) == before

    # An edited file: one article changed, one new; the rest unchanged; export shows exactly that.
    changed = dict(rows[0], body=rows[0]["body"] + "\n\nNytt stycke.")
    new = {
        "slug": "ny-artikel",
        "title": "Ny artikel",
        "lang": "sv",
        "tags": ["test"],
        "status": "draft",
        "body": "Hej **där**",
        "questions": ["Hur gör jag nu?"],
    }
    upload = _jsonl([changed, *rows[1:], new])
    resp = await app_client.post(
        "/api/articles/import", data=_form("kb.jsonl", upload), headers=admin_headers
    )
    assert resp.status == 200
    report = await resp.json()
    assert report["created"] == ["ny-artikel"]
    assert report["updated"] == [changed["slug"]]
    assert len(report["unchanged"]) == len(before) - 1
    resp = await app_client.get("/api/articles/export?format=jsonl", headers=admin_headers)
    again = {r["slug"]: r for r in (json.loads(x) for x in (await resp.read()).decode().splitlines())}
    assert again["ny-artikel"] == new
    assert again[changed["slug"]] == changed

    # Several .md files in one multipart upload form a folder.
    form = FormData()
    for slug in ("md-a", "md-b"):
        front = f"---\nslug: {slug}\ntitle: Rubrik {slug}\nquestions:\n  - Fråga om {slug}?\n---\n"
        text = f"{front}\nSvar för {slug}.\n"
        form.add_field("file", text.encode(), filename=f"{slug}.md", content_type="text/markdown")
    resp = await app_client.post("/api/articles/import", data=form, headers=admin_headers)
    assert resp.status == 200
    assert sorted((await resp.json())["created"]) == ["md-a", "md-b"]


async def test_dry_run_reports_without_changing_anything(
    app_client: Client, admin_headers: dict[str, str]
) -> None:
    before = await _slugs(app_client, admin_headers)
    resp = await app_client.get("/api/articles/export?format=jsonl", headers=admin_headers)
    rows = [json.loads(line) for line in (await resp.read()).decode().splitlines()]
    edited = dict(rows[1], title=rows[1]["title"] + " (ny)")
    upload = _jsonl([edited, {"slug": "bara-test", "title": "Test", "body": "x"}])
    resp = await app_client.post(
        "/api/articles/import?dry_run=1", data=_form("kb.jsonl", upload), headers=admin_headers
    )
    assert resp.status == 200
    report = await resp.json()
    assert report == {
        "created": ["bara-test"],
        "updated": [edited["slug"]],
        "unchanged": [],
        "dry_run": True,
        "count": 2,
    }
    assert await _slugs(app_client, admin_headers) == before
    resp = await app_client.get(f"/api/articles/{edited['slug']}", headers=admin_headers)
    assert (await resp.json())["title"] == rows[1]["title"]


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        (
            "bad.jsonl",
            _jsonl([{"slug": "ok-1", "title": "Ok"}, {"slug": "ok-2", "title": "Ok"}])
            + b'{"slug": "broken", "title": \n',
            "bad.jsonl:3:",
        ),
        (
            "bad.csv",
            b"slug,title,lang,status,body,questions\nok-1,Ok,sv,published,Hej,\nok-2,,sv,published,Hej,\n",
            "bad.csv:3:",
        ),
        ("bad.md", b"---\nslug: ok-1\ntitle: Ok\nbody: nej\n---\n\nHej\n", "bad.md:4:"),
    ],
)
async def test_a_malformed_import_names_file_and_line_and_imports_nothing(
    app_client: Client, admin_headers: dict[str, str], name: str, content: bytes, where: str
) -> None:
    before = await _slugs(app_client, admin_headers)
    resp = await app_client.post("/api/articles/import", data=_form(name, content), headers=admin_headers)
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "bad_import_file"
    assert error["message"].startswith(where), error["message"]
    assert "/tmp" not in error["message"] and "kundresa-import" not in error["message"]
    assert await _slugs(app_client, admin_headers) == before


async def test_a_zip_names_the_bad_file_inside_it(app_client: Client, admin_headers: dict[str, str]) -> None:
    before = await _slugs(app_client, admin_headers)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("kb/good.md", "---\nslug: good\ntitle: Bra\n---\n\nHej\n")
        archive.writestr("kb/bad.md", "---\nslug: Not A Slug\ntitle: Bad\n---\n\nHej\n")
        archive.writestr("__MACOSX/kb/._bad.md", "junk")
    resp = await app_client.post(
        "/api/articles/import", data=_form("pack.zip", buffer.getvalue()), headers=admin_headers
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["message"].startswith("pack.zip/kb/bad.md:2:"), error["message"]
    assert await _slugs(app_client, admin_headers) == before

    resp = await app_client.post(
        "/api/articles/import", data=_form("pack.zip", b"not a zip"), headers=admin_headers
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["message"].startswith("pack.zip:")


async def test_import_needs_a_known_format(app_client: Client, admin_headers: dict[str, str]) -> None:
    resp = await app_client.post("/api/articles/import", data=b'{"slug": "x"}', headers=admin_headers)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "unknown_format"
    resp = await app_client.post("/api/articles/import", data=_form("kb.json", b"{}"), headers=admin_headers)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "unknown_format"
    resp = await app_client.get("/api/articles/export?format=xml", headers=admin_headers)
    assert resp.status == 400


# -- example questions ----------------------------------------------------------------------------------
async def test_delete_an_example_question(app_client: Client, admin_headers: dict[str, str]) -> None:
    from bot.app_keys import KB

    slug = "swish-betalning"
    kb = app_client.app[KB]
    await kb.add_question(slug, "Swish från ett löst ärende?", source="resolved_ticket")
    await kb.add_question(slug, "Ta bort mig?")
    article = await (await app_client.get(f"/api/articles/{slug}", headers=admin_headers)).json()
    version = article["version"]

    resp = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": "  Ta bort mig?  "}, headers=admin_headers
    )
    assert resp.status == 200
    data = await resp.json()
    assert data["removed"] == "Ta bort mig?"
    after = data["article"]
    assert "Ta bort mig?" not in after["questions"]
    assert after["version"] == version + 1
    assert after["questions"] == [q for q in article["questions"] if q != "Ta bort mig?"]
    sources = {q["text"]: q["source"] for q in after["question_sources"]}
    assert sources["Swish från ett löst ärende?"] == "resolved_ticket"  # the others keep their source

    versions = await (await app_client.get(f"/api/articles/{slug}/versions", headers=admin_headers)).json()
    assert versions["versions"][-1]["version"] == version + 1

    resp = await app_client.delete(
        f"/api/articles/{slug}/questions",
        params={"text": "Swish från ett löst ärende?"},
        headers=admin_headers,
    )
    assert resp.status == 200
    assert (await resp.json())["article"]["version"] == version + 2

    missing = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": "Finns inte"}, headers=admin_headers
    )
    assert missing.status == 404
    empty = await app_client.delete(
        f"/api/articles/{slug}/questions", json={"text": " "}, headers=admin_headers
    )
    assert empty.status == 400
    nope = await app_client.delete("/api/articles/nope/questions", json={"text": "x"}, headers=admin_headers)
    assert nope.status == 404


# -- article health -------------------------------------------------------------------------------------
async def _reply(ws: Any) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] not in ("ack", "notice", "typing"):
            return frame


async def _check_health(client: Client, headers: dict[str, str], slug: str, question: str) -> None:
    """Two chats get the same answer; one says it helped, the other that it did not (and is handed off)."""
    for visitor, helpful in (("health-1", True), ("health-2", False)):
        ws = await client.ws_connect("/ws/chat", params={"visitor": visitor})
        await ws.send_json({"type": "message", "id": "q1", "text": question})
        frame = await _reply(ws)
        assert frame["type"] == "answer", frame
        assert frame["article"]["slug"] == slug
        await ws.send_json({"type": "feedback", "helpful": helpful})
        if not helpful:
            assert (await _reply(ws))["type"] == "handoff"  # "didn't help" goes to a person
        else:
            await asyncio.sleep(0.2)
        await ws.close()

    resp = await client.get("/api/articles/health", headers=headers)
    assert resp.status == 200
    data = await resp.json()
    by_slug = {a["slug"]: a for a in data["articles"]}
    assert data["count"] == len(by_slug) == len(await _slugs(client, headers))
    shown = by_slug[slug]
    assert shown["shown"] == 2
    assert shown["helped"] == 1 and shown["not_helped"] == 1
    assert shown["helped_rate"] == 0.5
    assert shown["handoffs"] == 1
    assert data["articles"][0]["slug"] == slug  # most shown first
    others = [a for a in data["articles"] if a["slug"] != slug]
    assert all(a["shown"] == 0 and a["helped"] == 0 and a["handoffs"] == 0 for a in others)
    assert all(a["helped_rate"] is None for a in others)


async def test_health_counts_shown_feedback_and_handoffs(
    app_client: Client, admin_headers: dict[str, str]
) -> None:
    await _check_health(app_client, admin_headers, "swish-betalning", ANSWERABLE)


@pytest.mark.postgres
async def test_health_queries_on_postgres(aiohttp_client: Any, pg_db_url: str) -> None:
    """The JSON-path grouping of the health report on PostgreSQL (json, not jsonb, columns)."""
    from bot.app_keys import SESSIONS
    from router.auth import create_user

    settings = settings_for(str(pg_db_url), server={"load_demo_kb": False})
    client = await aiohttp_client(create_app(settings))
    async with client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    articles = [
        ("swish", "Betala med Swish", "Välj Swish i kassan.", ["Kan man betala med swish?"]),
        ("faktura", "Betala med faktura", "Välj faktura i kassan.", ["Kan jag få faktura?"]),
        ("frakt", "Frakt och leverans", "Frakten kostar 49 kr.", ["Vad kostar frakten?"]),
    ]
    for slug, title, body, questions in articles:
        data = {"slug": slug, "title": title, "body": body, "questions": questions}
        resp = await client.post("/api/articles", json=data, headers=headers)
        assert resp.status == 201, await resp.text()
    await _check_health(client, headers, "swish", ANSWERABLE)
