"""Article import and export over HTTP (`bot.http.article_import`, `bot.http.article_export`) through the
real app: round trip, bad files name file:line and import nothing, zips, dry run, unknown formats.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from aiohttp import FormData

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
