"""router/token_guard.py: wrong tokens counted per client address; past the limit an address gets 429 for
any token until its minute is over (the API answering 429: tests/router/test_security_console.py)."""

from __future__ import annotations

import pytest

from config import KundresaError
from router import token_guard
from router.token_guard import TokenGuard, TooManyBadTokensError


def test_an_address_over_its_limit_is_refused_others_are_not() -> None:
    guard = TokenGuard(per_minute=3)
    for _ in range(3):
        guard.check("203.0.113.5")
        guard.failed("203.0.113.5")
    with pytest.raises(TooManyBadTokensError) as refused:
        guard.check("203.0.113.5")
    assert isinstance(refused.value, KundresaError) and refused.value.status == 429
    guard.check("203.0.113.6")  # another address has its own count


def test_failures_older_than_the_window_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(token_guard.time, "monotonic", lambda: now[0])
    guard = TokenGuard(per_minute=2)
    guard.failed("a")
    now[0] += 30
    guard.failed("a")
    with pytest.raises(TooManyBadTokensError):
        guard.check("a")
    now[0] += 31  # the first failure is over a minute old
    guard.check("a")
    now[0] += 60
    guard.check("a")
    assert guard._failures == {}  # nothing kept for an address whose failures are all old


def test_a_limit_of_zero_turns_the_guard_off() -> None:
    guard = TokenGuard(per_minute=0)
    for _ in range(100):
        guard.failed("a")
    guard.check("a")
