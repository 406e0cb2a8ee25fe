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

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import yaml

from config import safe_json
from config.errors import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData

FRONT_MATTER_KEYS = ("slug", "title", "lang", "translation_of", "tags", "status", "questions")
CSV_COLUMNS = ("slug", "title", "lang", "status", "body", "questions")
CSV_OPTIONAL_COLUMNS = ("tags", "translation_of")  # written only when some article has them
_FIELDS = (*FRONT_MATTER_KEYS, "body")
_OPTIONAL = ("lang", "tags", "status", "questions", "translation_of")  # null or "" means "the default"
_WIDE = 1 << 30  # no line folding in dumped YAML
_CSV_FIELD_LIMIT = (1 << 31) - 1  # bodies may be longer than csv's default 128 KiB

_NO_FRONT_MATTER = (
    "missing front matter: start the file with a line '---', then `slug:` and `title:` lines, "
    "then a line '---', then the body"
)
_BAD_YAML = (
    "put values containing ': ' or ' #', or starting with a quote or a special character, in double quotes"
)
_BAD_CSV = (
    "put fields containing commas, quotes or line breaks in double quotes, and double every quote inside them"
)


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
        return _read_jsonl(path)
    if fmt == "csv":
        return _read_csv(path)
    seen: dict[str, str] = {}
    articles = []
    for file in sorted(p for p in path.glob("*.md") if p.is_file()) if path.is_dir() else [path]:
        article, slug_line = _read_markdown_file(file)
        _check_unique(article.slug, seen, str(file), slug_line, str(file))
        articles.append(article)
    return articles


def write_articles(articles: list[ArticleData], path: Path) -> None:
    """Write a `.jsonl`, a `.csv` or (any other path) a folder of `<slug>.md` files, made if needed.

    Raises `ValidationError`, before writing anything, for an invalid article or a repeated slug.
    Other files already in the folder are left alone.
    """
    path = Path(path)
    valid = _validated(articles)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        path.mkdir(parents=True, exist_ok=True)
        for a in valid:
            front = {k: v for k, v in _fields(a).items() if k != "body"}  # slug, title, lang, tags, …
            dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=_WIDE)
            (path / f"{a.slug}.md").write_bytes(f"---\n{dumped}---\n\n{a.body}".encode())
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        text = "".join(json.dumps(_fields(a), ensure_ascii=False) + "\n" for a in valid)
    else:
        used = [c for c in CSV_OPTIONAL_COLUMNS if any(getattr(a, c) for a in valid)]
        columns = [*CSV_COLUMNS, *used]
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)  # its "\r\n" terminator makes a lone "\r" in a field get quoted too
        writer.writerow(columns)
        for a in valid:
            cells = {**a.to_dict(), "questions": _join(a.questions), "tags": _join(a.tags)}
            writer.writerow([cells[c] for c in columns])
        text = buffer.getvalue()
    path.write_bytes(text.encode())


def _fields(article: ArticleData) -> dict[str, Any]:
    """The article's keys in file order; `translation_of` only when set."""
    data = article.to_dict()
    order = ("slug", "title", "lang", "translation_of", "tags", "status", "body", "questions")
    return {k: data[k] for k in order if not (k == "translation_of" and data[k] is None)}


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


# --- reading, shared ---------------------------------------------------------------------------------


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problem = f"not valid UTF-8 (byte {data[e.start]:#04x}): save the file with UTF-8 encoding"
        raise ImportFormatError(str(path), data.count(b"\n", 0, e.start) + 1, problem) from None
    return text.removeprefix("\ufeff")


def _build(
    data: dict[str, Any], where: str, line: int, how: str, lines: dict[str, int] | None = None
) -> ArticleData:
    """`ArticleData.from_dict`; a `ValidationError` becomes an `ImportFormatError` at the bad field's line
    (from `lines`) or else at `line`."""
    data = {k: v for k, v in data.items() if not (k in _OPTIONAL and v in (None, ""))}
    try:
        return ArticleData.from_dict(data)
    except ValidationError as e:
        word = e.message.split(" ", 1)[0]
        field = word if word in _FIELDS else None
        fix = f"fix `{field}` {how}" if field else f"the fields are {', '.join(_FIELDS)}"
        raise ImportFormatError(where, (lines or {}).get(field or "", line), f"{e.message} ({fix})") from None


def _check_unique(slug: str, seen: dict[str, str], where: str, line: int, place: str) -> None:
    if slug in seen:
        problem = f"slug {slug!r} is also used at {seen[slug]}: give each article its own slug"
        raise ImportFormatError(where, line, problem)
    seen[slug] = place


# --- Markdown ----------------------------------------------------------------------------------------


def _read_markdown_file(file: Path) -> tuple[ArticleData, int]:
    """One article and the line of its slug."""
    where, text = str(file), _decode(file)
    first_end = text.find("\n") % (len(text) + 1)  # -1 (no line break) becomes len(text)
    if text[:first_end].rstrip() != "---":
        raise ImportFormatError(where, 1, _NO_FRONT_MATTER)
    start = pos = first_end + 1
    while pos < len(text):
        end = text.find("\n", pos) % (len(text) + 1)
        if text[pos:end].rstrip() == "---":
            break
        pos = end + 1
    else:
        raise ImportFormatError(
            where, 1, "the front matter is never closed: add a line '---' before the body"
        )
    body = text[end + 1 :]
    body = body[2:] if body.startswith("\r\n") else body.removeprefix("\n")  # the blank line after '---'
    node, data = _parse_yaml(text[start:pos], where)
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        keys = ", ".join(FRONT_MATTER_KEYS)
        raise ImportFormatError(where, 2, f"the front matter must be `key: value` lines with the keys {keys}")
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        line = key_node.start_mark.line + 2
        if key not in FRONT_MATTER_KEYS:
            hint = " (the body goes after the closing '---')" if key == "body" else ""
            problem = (
                f"unknown key {key!r} in the front matter{hint}: use only {', '.join(FRONT_MATTER_KEYS)}"
            )
            raise ImportFormatError(where, line, problem)
        if key in lines:
            raise ImportFormatError(
                where, line, f"`{key}` is given twice (lines {lines[key]} and {line}): keep one"
            )
        lines[key] = line
        _check_text(key, data.get(key), value_node, where)
    article = _build({**data, "body": body}, where, 1, "in the front matter", lines)
    return article, lines.get("slug", 1)


def _parse_yaml(front: str, where: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(front)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = f"the front matter is not valid YAML ({e.problem or e.context}): {_BAD_YAML}"
        raise ImportFormatError(where, mark.line + 2 if mark else 1, problem) from None
    except yaml.YAMLError as e:
        raise ImportFormatError(where, 1, f"the front matter is not valid YAML ({e}): {_BAD_YAML}") from None
    finally:
        loader.dispose()


def _check_text(key: str, value: Any, node: yaml.Node, where: str) -> None:
    """YAML reads `yes`, `null`, `1.0`, dates… as non-text: say to quote them, at their line."""
    pairs = zip(node.value, value, strict=False) if isinstance(value, list) else [(node, value)]
    for item_node, item in pairs:
        if isinstance(item_node, yaml.ScalarNode) and item is not None and not isinstance(item, str):
            raw, kind = item_node.value, type(item).__name__
            problem = f'YAML reads `{raw}` in `{key}` as {kind}, not text: write it in quotes, "{raw}"'
            raise ImportFormatError(where, item_node.start_mark.line + 2, problem)


# --- JSONL -------------------------------------------------------------------------------------------


ONE_OBJECT_PER_LINE = "write one complete JSON object per line"


def _read_jsonl(path: Path) -> list[ArticleData]:
    where = str(path)
    seen: dict[str, str] = {}
    articles = []
    for number, raw in enumerate(_decode(path).split("\n"), start=1):  # not splitlines: U+2028 is no break
        if not raw.strip():
            continue
        try:
            # Bounded: depth, numbers, lone surrogates. NUL passes here and is refused by ArticleData with
            # the field named (the same message for every format).
            obj = safe_json.loads(raw, what="this line", allow_nul=True)
        except ValidationError as e:
            problem = e.message
            if isinstance(bad := e.__cause__, json.JSONDecodeError):
                problem = f"not valid JSON ({bad.msg} at column {bad.colno}): {ONE_OBJECT_PER_LINE}"
            raise ImportFormatError(where, number, problem) from None
        if not isinstance(obj, dict):
            problem = 'each line must be a JSON object like {"slug": "…", "title": "…", "body": "…"}'
            raise ImportFormatError(where, number, problem)
        articles.append(_build(obj, where, number, "in this line's object"))
        _check_unique(articles[-1].slug, seen, where, number, f"line {number}")
    return articles


# --- CSV ---------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[ArticleData]:
    where, text = str(path), _decode(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    old_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)
    columns: list[str] | None = None
    seen: dict[str, str] = {}
    articles = []
    start = 1  # the line where the current record starts; quoted fields may span lines
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                pass  # blank line, or a spreadsheet's empty row
            elif columns is None:
                columns = _csv_header(row, where, start)
            else:
                articles.append(_csv_row(row, columns, where, start, delimiter))
                _check_unique(articles[-1].slug, seen, where, start, f"line {start}")
            start = reader.line_num + 1
    except csv.Error as e:
        raise ImportFormatError(
            where, start, f"bad CSV ({e}) in the record starting here: {_BAD_CSV}"
        ) from None
    finally:
        csv.field_size_limit(old_limit)
    if columns is None:
        raise ImportFormatError(where, 1, f"the file is empty: start with the header {','.join(CSV_COLUMNS)}")
    return articles


def _csv_header(row: list[str], where: str, line: int) -> list[str]:
    columns = [c.strip().lower() for c in row]
    found = {
        "missing": [c for c in CSV_COLUMNS if c not in columns],
        "unknown": [c for c in columns if c not in (*CSV_COLUMNS, *CSV_OPTIONAL_COLUMNS)],
        "repeated": sorted({c for c in columns if columns.count(c) > 1}),
    }
    problems = [f"{label} column(s) {', '.join(names)}" for label, names in found.items() if names]
    if problems:
        optional = " and ".join(CSV_OPTIONAL_COLUMNS)
        expected = f"the first line must be the header {','.join(CSV_COLUMNS)} (optional: {optional})"
        raise ImportFormatError(where, line, f"{'; '.join(problems)}: {expected}")
    return columns


def _csv_row(row: list[str], columns: list[str], where: str, line: int, delimiter: str) -> ArticleData:
    if len(row) != len(columns):
        problem = f"{len(row)} fields but {len(columns)} columns: quote fields containing '{delimiter}'"
        raise ImportFormatError(where, line, problem)
    data: dict[str, Any] = dict(zip(columns, row, strict=True))
    data["questions"] = _split(data["questions"])
    if "tags" in data:
        data["tags"] = [t for t in _split(data["tags"]) if t]
    return _build(data, where, line, "in this row")


def _join(items: list[str]) -> str:
    return "|".join(i.replace("\\", "\\\\").replace("|", "\\|") for i in items)


def _split(cell: str) -> list[str]:
    """Inverse of `_join`: `|` separates, `\\|` and `\\\\` escape; other backslashes are literal."""
    if not cell:
        return []
    items: list[str] = []
    current = ""
    for token in re.findall(r"\\[\\|]|.", cell, re.DOTALL):
        if token == "|":
            items.append(current)
            current = ""
        else:
            current += token[-1]
    return [*items, current]
