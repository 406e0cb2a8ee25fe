"""Articles as JSON Lines: one object a line, blank lines skipped."""

from __future__ import annotations

import json
from pathlib import Path

from config import safe_json
from config.errors import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData
from knowledge.format_common import build, check_unique, decode, fields


def write_jsonl(articles: list[ArticleData], path: Path) -> None:
    text = "".join(json.dumps(fields(a), ensure_ascii=False) + "\n" for a in articles)
    path.write_bytes(text.encode())


ONE_OBJECT_PER_LINE = "write one complete JSON object per line"


def read_jsonl(path: Path) -> list[ArticleData]:
    where = str(path)
    seen: dict[str, str] = {}
    articles = []
    for number, raw in enumerate(decode(path).split("\n"), start=1):  # not splitlines: U+2028 is no break
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
        articles.append(build(obj, where, number, "in this line's object"))
        check_unique(articles[-1].slug, seen, where, number, f"line {number}")
    return articles
