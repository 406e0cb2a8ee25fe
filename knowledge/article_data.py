"""`ArticleData`: an article as plain data, the unit of import, export, the API and versions."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from config.errors import ValidationError

# Always `fullmatch`: with `match`, `$` also matched before a final newline, so "nl-slug\n" passed and
# became a file name in the export. A slug is a URL segment and a file name (`<slug>.md`): lowercase ASCII
# letters, digits and '-' (and '.', '_', which articles kept before), never first a '.' or '-' (no hidden
# file, no option), never a '/' or a control character.
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,199}")
SLUG_RULE = (
    "lowercase letters a-z, digits, '-', '.' or '_', starting with a letter or digit, at most 200 characters"
)


def valid_slug(slug: object) -> bool:
    """Whether `slug` may name an article (and so a file in an export)."""
    return isinstance(slug, str) and SLUG_RE.fullmatch(slug) is not None


STATUSES = ("draft", "published")
FIELDS = ("slug", "title", "lang", "translation_of", "tags", "status", "body", "questions")


@dataclass
class ArticleData:
    slug: str
    title: str
    lang: str = "sv"
    tags: list[str] = field(default_factory=list)
    status: str = "published"
    body: str = ""
    questions: list[str] = field(default_factory=list)
    # The slug of the article this one is a language version of (stored as the group's root slug).
    translation_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleData:
        """Validate and build; raises `ValidationError` naming the bad field."""
        if not isinstance(data, dict):
            raise ValidationError("an article must be an object")
        unknown = set(data) - set(FIELDS)
        if unknown:
            raise ValidationError(
                f"unknown field(s): {', '.join(sorted(unknown))}; the fields are {', '.join(FIELDS)}"
            )
        slug = data.get("slug")
        title = data.get("title")
        if not isinstance(slug, str) or not valid_slug(slug):
            shown = f" ({slug!r} is not)" if isinstance(slug, str) and slug else ""
            raise ValidationError(f"slug is required: {SLUG_RULE}{shown}", code="invalid_slug")
        if not isinstance(title, str) or not title.strip():
            raise ValidationError("title is required")
        lang = data.get("lang", "sv")
        status = data.get("status", "published")
        body = data.get("body", "")
        tags = data.get("tags", [])
        questions = data.get("questions", [])
        translation_of = data.get("translation_of")
        translation_of = None if translation_of == "" else translation_of  # an empty form field: none
        if not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)?", lang):
            raise ValidationError("lang must be a language code such as 'sv' or 'en'")
        if status not in STATUSES:
            raise ValidationError("status must be 'draft' or 'published'")
        if not isinstance(body, str):
            raise ValidationError("body must be a string")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValidationError("tags must be a list of strings")
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            raise ValidationError("questions must be a list of strings")
        texts = [("title", title), ("body", body)]
        texts += [("tags", t) for t in tags] + [("questions", q) for q in questions]
        for name, text in texts:
            if "\x00" in text:  # PostgreSQL cannot store it: refused alike on every database
                raise ValidationError(
                    f"{name} contains a NUL character (\\u0000); remove it", code="invalid_text"
                )
        if translation_of is not None and not valid_slug(translation_of):
            raise ValidationError(
                "translation_of must be the slug of the article this one is a language version of, or empty"
            )
        if translation_of == slug:
            raise ValidationError(
                "translation_of names the article itself: name the other language's article, "
                "or leave it empty"
            )
        return cls(
            slug=slug,
            title=title,
            lang=lang,
            tags=list(tags),
            status=status,
            body=body,
            questions=[q for q in questions if q.strip()],
            translation_of=translation_of,
        )
