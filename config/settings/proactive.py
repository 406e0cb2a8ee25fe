"""Shop events and proactive help: the events endpoint's key and limits, and default rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class ProactiveRule(BaseModel):
    """A proactive rule from the settings file: event (+ reasons) -> an article and/or a message."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a silently ignored one
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    event: str = Field(pattern=r"^[a-z][a-z0-9_.:-]{0,63}$")
    reasons: list[str] = Field(default_factory=list)  # empty: any reason
    article: str | None = None  # slug; shown in the customer's language when a version in it exists
    title: dict[str, str] = Field(default_factory=dict)  # by language; empty: the article's title
    message: dict[str, str] = Field(default_factory=dict)  # by language
    enabled: bool = True

    @model_validator(mode="after")
    def _offers_something(self) -> ProactiveRule:
        if not self.article and not self.message:
            raise ValueError(f"proactive rule {self.key!r}: name an article, a message or both")
        return self


class ProactiveSettings(BaseModel):
    """Shop events and proactive help (README: Shop events). Rules here are defaults; the admin page adds
    and overrides rules (stored in the database, same key wins)."""

    enabled: bool = True
    # HMAC-SHA256 key for `POST /api/events` (a key of its own: the identity secret signs user ids a
    # customer can choose, and an id shaped like "timestamp.body" must not sign an event).
    events_secret: SecretStr | None = None
    signature_tolerance_seconds: int = Field(default=300, ge=10, le=3600)
    max_data_bytes: int = Field(default=2048, ge=64, le=65536)
    events_per_minute: int = Field(default=30, ge=1)  # chat `event` frames per customer
    quiet_minutes: float = Field(default=10.0, ge=0)  # no second offer to a customer within this
    holdout_share: float = Field(default=0.1, ge=0.0, le=0.9)  # customers who get no offer (measured)
    outcome_minutes: float = Field(default=30.0, gt=0)  # payment_succeeded this soon after counts
    payment_priority_minutes: float = Field(default=60.0, ge=0)  # failed payment this recent: priority
    agents_lang: Literal["sv", "en"] = "sv"  # the language of event lines in the Slack post and timeline
    timezone: str = "Europe/Stockholm"  # the clock of those lines
    rules: list[ProactiveRule] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"proactive.timezone: unknown time zone {value!r}") from None
        return value
