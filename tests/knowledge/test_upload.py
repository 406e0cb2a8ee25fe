"""`knowledge.upload`: uploaded bytes to articles — the body's format, client file names, zips of Markdown
files, and errors that name the client's file and line (never the temporary folder)."""

from __future__ import annotations

import io
import zipfile

import pytest

from config import ValidationError
from config.errors import ImportFormatError
from knowledge.upload import Upload, basename, body_format, parse_uploads, raw_upload

MD = "---\nslug: {slug}\ntitle: {title}\n---\n\nBody of {slug}.\n"


def md(slug: str, title: str = "A title") -> bytes:
    return MD.format(slug=slug, title=title).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_basename_takes_the_last_part_and_is_never_empty() -> None:
    assert basename("C:\\Users\\ada\\faq.md") == "faq.md"
    assert basename("folder/sub/faq.md") == "faq.md"
    assert basename("  ") == "upload"


def test_body_format_from_the_query_or_the_file_name() -> None:
    assert body_format(".JSONL", None) == "jsonl"
    assert body_format("", "articles.csv") == "csv"
    with pytest.raises(ValidationError) as info:
        body_format("", "articles.json")
    assert info.value.code == "unknown_format"


def test_raw_upload_names_the_file_after_its_format() -> None:
    assert raw_upload(b"x", "jsonl", None).name == "articles.jsonl"
    assert raw_upload(b"x", "md", "faq").name == "faq.md"
    assert raw_upload(b"x", "csv", "dir/faq.csv").name == "faq.csv"
    with pytest.raises(ValidationError):
        raw_upload(b"  \n", "csv", None)


def test_markdown_files_and_a_zip_of_them_parse_alike() -> None:
    files = {"a.md": md("a"), "b.md": md("b", "Bee")}
    loose = parse_uploads([Upload(name, data) for name, data in files.items()])
    packed = parse_uploads([Upload("kb.zip", zipped({"kb/a.md": files["a.md"], "kb/b.md": files["b.md"]}))])
    assert [a.slug for a in loose] == [a.slug for a in packed] == ["a", "b"]
    assert loose == packed


def test_a_zip_skips_hidden_files_and_names_the_bad_file_inside_it() -> None:
    data = zipped({"__MACOSX/a.md": b"junk", ".hidden.md": b"junk", "kb/a.md": md("a"), "kb/bad.md": b"no"})
    with pytest.raises(ImportFormatError) as info:
        parse_uploads([Upload("kb.zip", data)])
    assert (info.value.path, info.value.line) == ("kb.zip/kb/bad.md", 1)


def test_a_jsonl_error_names_the_client_file() -> None:
    with pytest.raises(ImportFormatError) as info:
        parse_uploads([Upload("my export.jsonl", b'{"slug": "a", "title": "A"}\n{oops\n')])
    assert (info.value.path, info.value.line) == ("my export.jsonl", 2)


@pytest.mark.parametrize(
    ("uploads", "words"),
    [
        ([Upload("a.jsonl", b"{}"), Upload("b.jsonl", b"{}")], "one .jsonl or .csv"),
        ([Upload("a.zip", b""), Upload("b.zip", b"")], "one .zip"),
        ([Upload("a.md", b""), Upload("b.txt", b"")], "unsupported file type (b.txt)"),
    ],
)
def test_mixed_or_several_files_are_refused(uploads: list[Upload], words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_uploads(uploads)
    assert words in info.value.message


def test_two_markdown_files_with_one_name_are_refused() -> None:
    with pytest.raises(ImportFormatError) as info:
        parse_uploads([Upload("x/a.md", md("a")), Upload("y/a.md", md("b"))])
    assert "same file name" in info.value.problem


def test_not_a_zip() -> None:
    with pytest.raises(ImportFormatError) as info:
        parse_uploads([Upload("kb.zip", b"not a zip")])
    assert info.value.path == "kb.zip" and "not a valid .zip" in info.value.problem
