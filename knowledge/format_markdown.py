"""Articles as Markdown files with YAML front matter (SPEC.md "Article file format"): a folder of
`<slug>.md` files, read in file-name order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from config.errors import ImportFormatError
from knowledge.article_data import ArticleData
from knowledge.format_common import FRONT_MATTER_KEYS, build, check_unique, decode, fields

_WIDE = 1 << 30  # no line folding in dumped YAML
_NO_FRONT_MATTER = (
    "missing front matter: start the file with a line '---', then `slug:` and `title:` lines, "
    "then a line '---', then the body"
)
_BAD_YAML = (
    "put values containing ': ' or ' #', or starting with a quote or a special character, in double quotes"
)


def read_markdown(path: Path) -> list[ArticleData]:
    """A folder's `.md` files (or one file); slugs unique across them."""
    seen: dict[str, str] = {}
    articles = []
    for file in sorted(p for p in path.glob("*.md") if p.is_file()) if path.is_dir() else [path]:
        article, slug_line = _read_markdown_file(file)
        check_unique(article.slug, seen, str(file), slug_line, str(file))
        articles.append(article)
    return articles


def write_markdown(articles: list[ArticleData], path: Path) -> None:
    """One `<slug>.md` per article in the folder `path` (made if needed); other files are left alone."""
    path.mkdir(parents=True, exist_ok=True)
    for a in articles:
        front = {k: v for k, v in fields(a).items() if k != "body"}  # slug, title, lang, tags, …
        dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=_WIDE)
        (path / f"{a.slug}.md").write_bytes(f"---\n{dumped}---\n\n{a.body}".encode())


def _read_markdown_file(file: Path) -> tuple[ArticleData, int]:
    """One article and the line of its slug."""
    where, text = str(file), decode(file)
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
    article = build({**data, "body": body}, where, 1, "in the front matter", lines)
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
