"""The knowledge tests build their own `KnowledgeBase`s: `settings` points at an empty database here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from config import Settings


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()
