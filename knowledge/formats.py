"""Articles as files: a folder of Markdown files with YAML front matter, a `.jsonl` or a `.csv`.

The formats are those of SPEC.md ("Article file format"). Everything here is pure: paths in, `ArticleData`
out (or back), no database. Every problem in an input file becomes an `ImportFormatError` naming the file,
the 1-based line and how to fix it.

`read_articles(p)` after `write_articles(x, p)` gives back `x` in all three formats, byte-exact bodies
included, up to what `ArticleData.from_dict` normalises (blank questions are dropped). Also:
- a Markdown folder is read in file-name order (`<slug>.md`), so list order survives only if `x` is in it;
- CSV keeps lists in one cell separated by `|`: a `|` or `\\` inside a tag or question is written as `\\|`
  or `\\\\` and read back; any other backslash is literal. Empty tags are dropped in CSV;
- the CSV `tags` column (not in SPEC's list) is written only when some article has tags; it is read if
  present. Columns may come in any order; a header separated by `;` (Swedish Excel) is accepted;
- `translation_of` (the slug of the article this one is a language version of) is written only when set:
  a front matter key, a `.jsonl` key, and a CSV column only when some article has it (like `tags`).
"""

from __future__ import annotations

import json
from pathlib import Path

from config.errors import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData
from knowledge.format_csv import read_csv, write_csv
from knowledge.format_jsonl import read_jsonl, write_jsonl
from knowledge.format_markdown import read_markdown, write_markdown

__all__ = ["detect_format", "read_articles", "write_articles"]


def detect_format(path: Path) -> str:
    """Return "markdown" for a folder (or one `.md` file), "jsonl" or "csv" by suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in (".md", ".markdown") or (suffix == "" and not path.is_file()):
        return "markdown"
    if suffix in (".jsonl", ".csv"):
        return suffix[1:]
    what = f"unknown file type {suffix!r}" if suffix else "a file without suffix"
    hint = " (for JSON, write one object a line and name the file .jsonl)" if suffix == ".json" else ""
    raise ImportFormatError(str(path), None, f"{what}: use a folder of .md files, a .jsonl or a .csv{hint}")


def read_articles(path: Path) -> list[ArticleData]:
    """Read and validate every article in `path`; slugs must be unique across the input."""
    path = Path(path)
    if not path.exists():
        raise ImportFormatError(str(path), None, "no such file or folder: check the path")
    fmt = detect_format(path)
    if fmt == "jsonl":
        return read_jsonl(path)
    if fmt == "csv":
        return read_csv(path)
    return read_markdown(path)


def write_articles(articles: list[ArticleData], path: Path) -> None:
    """Write a `.jsonl`, a `.csv` or (any other path) a folder of `<slug>.md` files, made if needed.

    Raises `ValidationError`, before writing anything, for an invalid article or a repeated slug.
    Other files already in the folder are left alone.
    """
    path = Path(path)
    valid = _validated(articles)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        write_markdown(valid, path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        write_jsonl(valid, path)
    else:
        write_csv(valid, path)


def _validated(articles: list[ArticleData]) -> list[ArticleData]:
    seen: set[str] = set()
    valid = []
    for a in articles:
        try:
            article = ArticleData.from_dict(a.to_dict())
            json.dumps(article.to_dict(), ensure_ascii=False).encode()
        except ValidationError as e:
            raise ValidationError(f"article {a.slug!r}: {e.message}") from None
        except UnicodeEncodeError:
            raise ValidationError(f"article {a.slug!r}: contains text that is not valid Unicode") from None
        if article.slug in seen:
            raise ValidationError(f"duplicate slug {article.slug!r}: each article needs its own slug")
        seen.add(article.slug)
        valid.append(article)
    return valid
