"""config/settings/chat.py: conversation limits, routing, recovery and retention defaults and bounds."""

from __future__ import annotations

import pydantic
import pytest

from config import ChatSettings, RetentionSettings
from config.settings import RecoverySettings


def test_defaults_keep_data_and_sign_users() -> None:
    assert ChatSettings().signed_users and ChatSettings().identity_secret is None
    assert RetentionSettings().conversations_days == 0  # 0: kept for ever
    assert RecoverySettings().drain_seconds > 0


@pytest.mark.parametrize("field", ["conversations_days", "tickets_days", "gaps_days"])
def test_retention_days_cannot_be_negative(field: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        RetentionSettings.model_validate({field: -1})
    with pytest.raises(pydantic.ValidationError, match="interval_minutes"):
        RetentionSettings(interval_minutes=0)
