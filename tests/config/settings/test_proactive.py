"""config/settings/proactive.py: rules from the settings file are checked when the settings load."""

from __future__ import annotations

import pydantic
import pytest

from config.settings import ProactiveRule, ProactiveSettings


def test_a_rule_must_offer_something_and_name_no_unknown_field() -> None:
    ProactiveRule(key="pay", event="payment_failed", message={"sv": "Hej"})
    with pytest.raises(pydantic.ValidationError, match="name an article, a message or both"):
        ProactiveRule(key="pay", event="payment_failed")
    with pytest.raises(pydantic.ValidationError, match="extra"):
        ProactiveRule.model_validate({"key": "pay", "event": "e", "article": "a", "artcle": "typo"})
    with pytest.raises(pydantic.ValidationError):
        ProactiveRule(key="Bad Key", event="e", article="a")


def test_the_timezone_must_exist() -> None:
    assert ProactiveSettings(timezone="UTC").timezone == "UTC"
    with pytest.raises(pydantic.ValidationError, match="unknown time zone"):
        ProactiveSettings(timezone="Europe/Atlantis")
