"""Bounded JSON parsing for everything that comes from outside (HTTP bodies, chat frames, import lines).

The stdlib parser recurses once per nesting level (a 1,000-deep `[[[…` is a RecursionError), turns a
4,300-digit integer into a ValueError, and lets through lone surrogates (`"\\ud800"`), NUL characters
(PostgreSQL cannot store them in text, SQLite can: the same request would differ by database) and
NaN / Infinity. `loads` answers all of those with a `ValidationError` (HTTP 400) instead:

- depth is checked before parsing by a linear pass over the text with the strings cut out;
- integers longer than `max_int_digits` digits, non-finite numbers and `NaN` / `Infinity` are refused;
- every string (keys too) must be valid Unicode without NUL: code `invalid_text`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from config.errors import ValidationError

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "check_text", "loads", "loads_object", "nesting_too_deep"]

MAX_DEPTH = 32
MAX_INT_DIGITS = 40  # no id, seq or score is longer; Python's own limit (4,300) is a ValueError, not ours
MAX_FLOAT_CHARS = 400

_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)  # possessive: linear, no backtracking
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(Exception):
    """Raised from inside `json.loads` hooks; turned into a ValidationError outside."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def nesting_too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether `text` nests arrays/objects deeper than `max_depth` (or cannot be cut to nothing in that
    many rounds, as unbalanced brackets: the parser would refuse those anyway). Brackets inside strings
    do not count. Each round removes the innermost `[]` / `{}` pairs with a C-speed regex: valid JSON of
    depth d is empty after d rounds, so this is at most `max_depth` + 1 linear passes."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if len(brackets) <= 2 * max_depth:
        return False
    if re.search(f"[\\[{{]{{{max_depth + 1}}}", brackets):  # the usual bomb: a run of openers
        return True
    for _ in range(max_depth):
        brackets, n = _EMPTY_PAIR.subn("", brackets)
        if not brackets:
            return False
        if n == 0:
            break
    return bool(brackets)


def check_text(value: str, what: str = "text", *, allow_nul: bool = False) -> None:
    """Refuse a string the databases would store differently or not at all (NUL, lone surrogates)."""
    if not allow_nul and "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character (\\u0000)", code="invalid_text")
    if _SURROGATE.search(value):
        raise ValidationError(f"{what} contains a lone surrogate (not valid Unicode)", code="invalid_text")


def _parse_int(raw: str) -> int:
    if len(raw.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused("number_too_large", f"a number has more than {MAX_INT_DIGITS} digits")
    return int(raw)


def _parse_float(raw: str) -> float:
    value = float(raw) if len(raw) <= MAX_FLOAT_CHARS else math.inf
    if not math.isfinite(value):
        raise _Refused("number_too_large", "a number is too large (or written with too many digits)")
    return value


def _parse_constant(raw: str) -> Any:
    raise _Refused("invalid_json", f"{raw} is not a JSON number")


def _check_strings(value: Any, what: str, allow_nul: bool) -> None:
    # Depth is bounded already (`nesting_too_deep`), so this recursion is too.
    if isinstance(value, str):
        check_text(value, what, allow_nul=allow_nul)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, what, allow_nul=allow_nul)
            _check_strings(item, what, allow_nul)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, what, allow_nul)


def loads(
    raw: str | bytes, *, what: str = "request body", max_depth: int = MAX_DEPTH, allow_nul: bool = False
) -> Any:
    """Parse JSON from outside, or raise `ValidationError` with a code the client can act on:
    `invalid_text` (bad UTF-8, NUL, lone surrogates), `invalid_json`, `too_deep`, `number_too_large`.
    `allow_nul`: for article files, which round-trip exactly (tests/knowledge/test_formats.py)."""
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{what} is not valid UTF-8", code="invalid_text") from exc
    else:
        text = raw
    if nesting_too_deep(text, max_depth):
        raise ValidationError(f"{what} nests deeper than {max_depth} levels", code="too_deep")
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant
        )
    except _Refused as exc:
        raise ValidationError(f"{what}: {exc.message}", code=exc.code) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} is not valid JSON: {exc.msg} at {exc.pos}", code="invalid_json"
        ) from exc  # the cause: where, for a message that names the column
    except (ValueError, RecursionError) as exc:  # belt and braces: whatever else the parser refuses
        raise ValidationError(f"{what} is not valid JSON", code="invalid_json") from exc
    _check_strings(value, what, allow_nul)
    return value


def loads_object(
    raw: str | bytes, *, what: str = "request body", code: str = "invalid_request"
) -> dict[str, Any]:
    """`loads`, refusing anything but a JSON object (`ValidationError` with `code`)."""
    value = loads(raw, what=what)
    if not isinstance(value, dict):
        raise ValidationError(f"{what} must be a JSON object", code=code)
    return value
