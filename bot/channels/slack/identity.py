"""Who is who on Slack: what Kundresa asks the Web API about people and channels, cached.

A lookup that fails because Slack is away raises (`client.is_transient`), so the stored event is retried
later; only a definite answer ("no such user") is cached as a miss. Treating an outage as "unknown user"
would file the customer without their verified email, and as "not a shared channel" would drop their
message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack.client import error_code, is_transient

__all__ = ["OwnTeam", "SlackDirectory", "SlackUser", "TTLCache"]

CACHE_SECONDS = 3600.0  # users.info and conversations.info answers are kept this long
MISS_SECONDS = 300.0


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str | None
    email: str | None  # the profile's; evidence only for a member of our own workspace (`trusted_email`)
    team_id: str | None
    enterprise_id: str | None = None  # Enterprise Grid: the user's organisation
    email_confirmed: bool = True  # False only when Slack says so (`is_email_confirmed`)


@dataclass(frozen=True)
class OwnTeam:
    """Who installed the app (`auth.test`): our workspace and, on Enterprise Grid, our organisation."""

    team_id: str | None
    enterprise_id: str | None


class TTLCache:
    """Answers of the Web API kept in memory for a while (per process)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> tuple[bool, Any]:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, value: Any, seconds: float) -> None:
        if len(self._items) > 10_000:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if v[0] >= now}
        self._items[key] = (time.monotonic() + seconds, value)


class SlackDirectory:
    """`users.info` and `conversations.info`, cached."""

    def __init__(self, client: AsyncWebClient, log: Any) -> None:
        self.client = client
        self.log = log
        self.users = TTLCache()
        self.channels = TTLCache()
        self._own: OwnTeam | None = None

    async def own_team(self) -> OwnTeam:
        """Our workspace (`auth.test`, asked once; a Slack outage raises, so the event is retried)."""
        if self._own is not None:
            return self._own
        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            self.log.warning("auth.test failed: %s; no Slack email counts as verified", error_code(exc))
            return OwnTeam(None, None)
        self._own = OwnTeam(resp.get("team_id") or None, resp.get("enterprise_id") or None)
        return self._own

    async def trusted_email(self, user: SlackUser | None) -> str | None:
        """The user's email when it is evidence of who they are: only a member of our own workspace (or
        our own Enterprise Grid organisation) with a confirmed email. In a shared (Slack Connect)
        channel or DM the other organisation controls its members' profiles, emails included: anyone
        there could name a customer's email and be joined to that customer's web conversations."""
        if user is None or not user.email or not user.email_confirmed:
            return None
        own = await self.own_team()
        if own.team_id and user.team_id == own.team_id:
            return user.email
        if own.enterprise_id and user.enterprise_id == own.enterprise_id:
            return user.email
        return None

    async def user(self, user_id: str) -> SlackUser | None:
        """The name and (verified) email of a Slack user; None when Slack says there is no such user."""
        found, user = self.users.get(user_id)
        if found:
            return user
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            self.log.warning("users.info for %s failed: %s", user_id, error_code(exc))
            self.users.put(user_id, None, MISS_SECONDS)
            return None
        data = resp.get("user") or {}
        profile = data.get("profile") or {}
        email = profile.get("email")
        user = SlackUser(
            id=user_id,
            name=profile.get("real_name") or data.get("real_name") or profile.get("display_name") or None,
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            team_id=data.get("team_id"),
            enterprise_id=(data.get("enterprise_user") or {}).get("enterprise_id") or None,
            email_confirmed=data.get("is_email_confirmed") is not False,
        )
        self.users.put(user_id, user, CACHE_SECONDS)
        return user

    async def channel(self, channel: str) -> dict[str, Any]:
        """`conversations.info`'s channel; {} when Slack refuses to tell (not a member, no such channel)."""
        found, info = self.channels.get(channel)
        if found:
            return dict(info)
        try:
            resp = await self.client.conversations_info(channel=channel)
            info = dict(resp.get("channel") or {})
        except SlackApiError as exc:
            if is_transient(exc):
                raise
            self.log.warning("conversations.info for %s failed: %s", channel, error_code(exc))
            self.channels.put(channel, {}, MISS_SECONDS)
            return {}
        self.channels.put(channel, info, CACHE_SECONDS)
        return info
