"""Slugs (issue 13): a slug is a file name in exports and a URL segment, so exactly [a-z0-9] then
[a-z0-9._-]: no trailing newline ("nl-slug\\n" passed a `re.match` with `$`), no other character."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData, valid_slug
from knowledge.formats import read_articles, write_articles

BAD = [
    "nl-slug\n",
    "nl-slug\r\n",
    "\nnl-slug",
    "tab\tslug",
    "space slug",
    "slash/slug",
    "../evil",
    "back\\slash",
    ".hidden",
    "-option",
    "_under",
    "UPPER",
    "åäö",
    "nul\x00slug",
    "zero\u200bwidth",
    "full\uff41width",
    "",
    "a" * 201,
]


@pytest.mark.parametrize("slug", BAD)
def test_bad_slugs_are_refused_everywhere(slug: str, tmp_path: Path) -> None:
    assert not valid_slug(slug)
    with pytest.raises(ValidationError, match="slug") as info:
        ArticleData.from_dict({"slug": slug, "title": "T"})
    assert info.value.status == 400
    if slug:  # an empty translation_of means "none"
        with pytest.raises(ValidationError, match="translation_of"):
            ArticleData.from_dict({"slug": "ok", "title": "T", "translation_of": slug})
    # An article that got in somehow (built directly, stored before this check) is never written out.
    with pytest.raises(ValidationError, match="slug"):
        write_articles([ArticleData(slug=slug, title="T")], tmp_path / "export")
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "md"])
def test_import_files_with_a_newline_slug_are_refused(fmt: str, tmp_path: Path) -> None:
    if fmt == "jsonl":
        path = tmp_path / "kb.jsonl"
        path.write_text(json.dumps({"slug": "nl-slug\n", "title": "T", "body": "b"}) + "\n")
    elif fmt == "csv":
        path = tmp_path / "kb.csv"
        path.write_text('slug,title,lang,status,body,questions\n"nl-slug\n",T,sv,published,b,\n')
    else:
        path = tmp_path / "kb"
        path.mkdir()
        (path / "a.md").write_text('---\nslug: "nl-slug\\n"\ntitle: T\n---\n\nbody\n')
    with pytest.raises(ImportFormatError, match="slug"):
        read_articles(path)
