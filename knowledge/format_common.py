"""What the article file formats share (knowledge/formats.py and its format_* modules): the field order,
decoding UTF-8 with the line of a bad byte, building an `ArticleData` with errors at the bad field's line,
unique slugs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.errors import ImportFormatError, ValidationError
from knowledge.article_data import ArticleData

FRONT_MATTER_KEYS = ("slug", "title", "lang", "translation_of", "tags", "status", "questions")
FIELDS = (*FRONT_MATTER_KEYS, "body")
_OPTIONAL = ("lang", "tags", "status", "questions", "translation_of")  # null or "" means "the default"


def fields(article: ArticleData) -> dict[str, Any]:
    """The article's keys in file order; `translation_of` only when set."""
    data = article.to_dict()
    order = ("slug", "title", "lang", "translation_of", "tags", "status", "body", "questions")
    return {k: data[k] for k in order if not (k == "translation_of" and data[k] is None)}


def decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problem = f"not valid UTF-8 (byte {data[e.start]:#04x}): save the file with UTF-8 encoding"
        raise ImportFormatError(str(path), data.count(b"\n", 0, e.start) + 1, problem) from None
    return text.removeprefix("\ufeff")


def build(
    data: dict[str, Any], where: str, line: int, how: str, lines: dict[str, int] | None = None
) -> ArticleData:
    """`ArticleData.from_dict`; a `ValidationError` becomes an `ImportFormatError` at the bad field's line
    (from `lines`) or else at `line`."""
    data = {k: v for k, v in data.items() if not (k in _OPTIONAL and v in (None, ""))}
    try:
        return ArticleData.from_dict(data)
    except ValidationError as e:
        word = e.message.split(" ", 1)[0]
        field = word if word in FIELDS else None
        fix = f"fix `{field}` {how}" if field else f"the fields are {', '.join(FIELDS)}"
        raise ImportFormatError(where, (lines or {}).get(field or "", line), f"{e.message} ({fix})") from None


def check_unique(slug: str, seen: dict[str, str], where: str, line: int, place: str) -> None:
    if slug in seen:
        problem = f"slug {slug!r} is also used at {seen[slug]}: give each article its own slug"
        raise ImportFormatError(where, line, problem)
    seen[slug] = place
