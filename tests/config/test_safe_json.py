"""config/safe_json.py: untrusted JSON is refused with a ValidationError (400) before it can hurt."""

from __future__ import annotations

import pytest

from config import ValidationError, safe_json


def test_ordinary_json_parses() -> None:
    assert safe_json.loads_object('{"type": "message", "n": 1, "x": 1.5, "ok": true}') == {
        "type": "message",
        "n": 1,
        "x": 1.5,
        "ok": True,
    }


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000 + "]" * 5000,  # too deep
        '{"n": ' + "9" * 5000 + "}",  # a huge number
        '{"t": "a\\u0000b"}',  # NUL
        '{"t": "\\ud800"}',  # a lone surrogate
        '{"x": NaN}',
        "not json",
    ],
)
def test_hostile_or_broken_json_is_a_validation_error(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        safe_json.loads(raw, what="frame")
    assert caught.value.status == 400


def test_loads_object_wants_an_object_and_uses_the_code_given() -> None:
    with pytest.raises(ValidationError) as caught:
        safe_json.loads_object("[1, 2]", what="frame", code="invalid_json")
    assert caught.value.code == "invalid_json"
