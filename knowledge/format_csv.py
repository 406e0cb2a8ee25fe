"""Articles as CSV: a header row, one article a record; lists in one cell separated by `|` (`\\|` and
`\\\\` escape); a `;`-separated file (Swedish Excel) is read too."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from config.errors import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.format_common import build, check_unique, decode

CSV_COLUMNS = ("slug", "title", "lang", "status", "body", "questions")
CSV_OPTIONAL_COLUMNS = ("tags", "translation_of")  # written only when some article has them
_CSV_FIELD_LIMIT = (1 << 31) - 1  # bodies may be longer than csv's default 128 KiB
_BAD_CSV = (
    "put fields containing commas, quotes or line breaks in double quotes, and double every quote inside them"
)


def write_csv(articles: list[ArticleData], path: Path) -> None:
    used = [c for c in CSV_OPTIONAL_COLUMNS if any(getattr(a, c) for a in articles)]
    columns = [*CSV_COLUMNS, *used]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # its "\r\n" terminator makes a lone "\r" in a field get quoted too
    writer.writerow(columns)
    for a in articles:
        cells = {**a.to_dict(), "questions": _join(a.questions), "tags": _join(a.tags)}
        writer.writerow([cells[c] for c in columns])
    path.write_bytes(buffer.getvalue().encode())


def read_csv(path: Path) -> list[ArticleData]:
    where, text = str(path), decode(path)
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
                check_unique(articles[-1].slug, seen, where, start, f"line {start}")
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
    return build(data, where, line, "in this row")


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
