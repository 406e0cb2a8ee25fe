"""Articles from uploaded files (the admin console's import): one `.jsonl` or `.csv`, a `.zip` of `.md`
files, or `.md` files, checked with `knowledge.formats.read_articles` exactly as `kundresa kb import`
checks them; errors name the client's file and line. Bytes in, `ArticleData` out: reading the HTTP request
is bot/http/article_import.py's job."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from config import TooLargeError, ValidationError
from config.errors import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.formats import read_articles

__all__ = [
    "IMPORT_MAX_BYTES",
    "MAX_FILES",
    "Upload",
    "basename",
    "body_format",
    "parse_uploads",
    "raw_upload",
]

IMPORT_MAX_BYTES = 32 * 1024 * 1024  # an upload (all files together, a zip's contents included)
MAX_FILES = 5000
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "md": ".md", "markdown": ".md", "zip": ".zip"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the client's name for it and its bytes."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name.lower()).suffix


def basename(name: str) -> str:
    """The last part of a client-given file name (browsers may send a path), never empty."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return base or "upload"


def body_format(fmt: str, name: str | None) -> str:
    """What a request body sent as is holds: `fmt` (jsonl, csv, md or zip), or else `name`'s suffix."""
    fmt = fmt.lower().lstrip(".")
    if not fmt and name:
        fmt = PurePosixPath(name.lower()).suffix.lstrip(".")
    if fmt not in SUFFIXES:
        raise ValidationError(
            "say what the body is: ?format=jsonl, csv, md or zip (or send a multipart file upload)",
            code="unknown_format",
        )
    return fmt


def raw_upload(raw: bytes, fmt: str, name: str | None) -> Upload:
    """A request body sent as is, of `fmt` (from `body_format`), as the file the client named."""
    if not raw.strip():
        raise ValidationError("the request body is empty: send the file's contents")
    shown = basename(name) if name else f"articles{SUFFIXES[fmt]}"
    if PurePosixPath(shown.lower()).suffix != SUFFIXES[fmt]:
        shown = f"{shown}{SUFFIXES[fmt]}"
    return Upload(shown, raw)


def _safe(name: str, suffix: str) -> str:
    stem = _SAFE_NAME.sub("_", PurePosixPath(name).stem).strip("._") or "file"
    return f"{stem[:120]}{suffix}"


def _unzip(upload: Upload) -> list[Upload]:
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
            out.append(Upload(f"{upload.name}/{info.filename}", data))
    if not out:
        raise ImportFormatError(upload.name, None, "the zip holds no .md files: zip a folder of .md files")
    return out


def _materialize(uploads: list[Upload], tmp: Path) -> tuple[Path, dict[str, str]]:
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
        safe = _safe(basename(upload.name), ".md")
        if safe in taken:
            raise ImportFormatError(
                upload.name, None, f"has the same file name as {taken[safe]}: give each file its own name"
            )
        taken[safe] = upload.name
        path = folder / safe
        path.write_bytes(upload.data)
        names[str(path)] = upload.name
    return folder, names


def parse_uploads(uploads: list[Upload]) -> list[ArticleData]:
    """Blocking (run it in an executor): validate the files with the CLI's reader; errors name the
    client's file and line."""
    with tempfile.TemporaryDirectory(prefix="kundresa-import-") as tmp:
        path, names = _materialize(uploads, Path(tmp))
        try:
            return read_articles(path)
        except ImportFormatError as exc:
            shown = names.get(exc.path)
            if shown is None:  # some other path under tmp: show it relative
                shown = exc.path.replace(f"{tmp}/", "").replace(tmp, "")
            raise ImportFormatError(shown, exc.line, exc.problem) from None
