"""Hypothesis strategies for hostile JSON: odd shapes, numbers, text; serialized by hand (so a number can
have 5,000 digits and a string a lone surrogate, which `json.dumps` refuses or cannot encode)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class Raw:
    """JSON text put in as it is (a number no Python int could be printed as, NaN, a bomb)."""

    text: str


def to_json(value: Any) -> str:
    """JSON text for `value`; strings always \\u-escaped, so lone surrogates survive as escapes."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)


def nested(depth: int, inner: str = "1", kind: str = "list") -> Raw:
    if kind == "list":
        return Raw("[" * depth + inner + "]" * depth)
    return Raw('{"a":' * depth + inner + "}" * depth)


ODD_NUMBERS = [
    0, -1, 1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1, 10**30,
    1.5, -0.0, 1e308, 5e-324,
    Raw("9" * 4301), Raw("-" + "9" * 5000), Raw("1" * 41), Raw("1e999999"), Raw("-1e400"),
    Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("0." + "1" * 5000),
]  # fmt: skip
ODD_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d", "\u202e", "\ufeff", "١٢٣", " 7 ", "1_000",
    "x" * 5000, "å" * 3000, "<script>alert(1)</script>", "'; DROP TABLE messages; --", "%00", "\\",
    "4111 1111 1111 1111", "\u0085\u2028",
]  # fmt: skip
BOMBS = [
    nested(33), nested(100), nested(1000), nested(100_000), nested(40, kind="object"),
    nested(5000, kind="object"), Raw("[" * 50_000), Raw("{" * 20_000), Raw("[1,2"), Raw("{"), Raw(""),
    Raw('"unterminated'), Raw("tru"), Raw("[1,]"), Raw("{'a': 1}"),
]  # fmt: skip

odd_text = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.text(st.characters(exclude_categories=[]), max_size=30),  # surrogates included
)
numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS), st.integers(), st.floats(allow_nan=False, allow_infinity=False)
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=10,
)
anything = st.one_of(values, st.sampled_from(BOMBS))
"""Any JSON value, or not JSON at all."""


def objects_with(fields: dict[str, Any], extra: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Objects with these fields (each present or not, with its good value or anything else)."""
    keys = list(fields)

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        out: dict[str, Any] = dict(extra or {})
        for key in keys:
            how = draw(st.sampled_from(["good", "odd", "missing"]))
            if how == "good":
                out[key] = fields[key]
            elif how == "odd":
                out[key] = draw(anything)
        return out

    return build()


def body_text(value: Any) -> bytes:
    """A request body: JSON text as UTF-8, lone surrogates as escapes."""
    return to_json(value).encode("utf-8")
