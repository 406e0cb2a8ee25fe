"""The Slack Web API client Kundresa uses, and which Slack errors pass.

A call that fails because Slack is away (HTTP 5xx, 429, a refused connection, a timeout) is transient: the
stored work is retried later (`classify_slack`). Every failed call is counted in the metrics
(`CountingWebClient`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from config.settings import SlackSettings
from router.inbox_worker import Verdict, classify_common

__all__ = ["CountingWebClient", "build_client", "classify_slack", "error_code", "is_transient"]

# Error codes Slack answers with HTTP 200 that still mean "try again later".
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def classify_slack(exc: BaseException) -> Verdict:
    """`InboxWorker`'s view of an error from Slack work: Slack away or rate limiting is transient."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = int(getattr(response, "status_code", 0) or 0)
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        if status == 429 or status >= 500 or data.get("error") in TRANSIENT_CODES:
            retry_after = (getattr(response, "headers", None) or {}).get("Retry-After")
            try:
                return Verdict(True, float(retry_after) if retry_after is not None else None)
            except ValueError:
                return Verdict(True)
        return Verdict(False)
    if isinstance(exc, aiohttp.ClientError):
        return Verdict(True)
    return classify_common(exc)


def is_transient(exc: BaseException) -> bool:
    return classify_slack(exc).transient


def error_code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    # A body without Slack's JSON (a proxy's HTML 503 page) leaves `data` empty: the status says more.
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {exc.response.status_code}"


class CountingWebClient(AsyncWebClient):
    """Every Web API method goes through `api_call`: a failed call is reported to `on_error(method, error)`
    (the metrics), with Slack's error code, the HTTP status, or "connection"."""

    on_error: Callable[[str, str], None] | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> Any:
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            self._report(api_method, error_code(exc))
            raise
        except (aiohttp.ClientError, TimeoutError):
            self._report(api_method, "connection")
            raise

    def _report(self, method: str, error: str) -> None:
        if self.on_error is not None:
            self.on_error(method, error)


def build_client(
    slack: SlackSettings, on_error: Callable[[str, str], None] | None = None
) -> CountingWebClient:
    """The Web API client, `api_base_url` from the settings. No retry handler for HTTP 429: a rate-limited
    call fails at once and its stored work is retried after `Retry-After` (`classify_slack`), instead of a
    job sleeping inside the call for as long as Slack asks."""
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    client = CountingWebClient(token=token, base_url=slack.api_base_url, timeout=30)
    client.on_error = on_error
    return client
